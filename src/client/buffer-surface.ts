import type { BufferIterators, Iterators } from './iterators.js';
import type { Multi } from './multi.js';
import type { Pipeline } from './pipeline.js';
import type { BufferCommands, Commands } from './surface.js';
import type { ClientView } from './view.js';

// The buffers surfaces replace the string one rather than intersect with it: in `ClientView &
// BufferCommands` each method would be an overload pair whose first (string) signature wins.

/** What `withOptions({ buffers: true })` returns: a view whose replies carry Buffers. */
export interface BufferClientView
  extends Omit<ClientView<Buffer>, keyof Commands | keyof Iterators | 'pipeline' | 'multi'>,
    BufferCommands,
    BufferIterators {
  /** A pipeline whose calls use this view's options, Buffers included. */
  pipeline(): BufferPipeline;
  /** A transaction whose calls use this view's options, Buffers included. */
  multi(): BufferMulti;
}

/** A pipeline of a buffers view. */
export interface BufferPipeline extends Omit<Pipeline, keyof Commands>, BufferCommands {}

/** A transaction of a buffers view. */
export interface BufferMulti extends Omit<Multi, keyof Commands>, BufferCommands {}
