import type { Socket } from 'node:net';

// One proxied connection: the client's socket, the socket to the server, and a pipe each way.
// A pipe forwards chunks strictly in arrival order, one at a time, so a delayed, stalled or
// trickled chunk holds back everything after it, as a slow network would. What happens to a
// chunk is decided when it arrives (so a delay counts from then) and done when its turn comes.

/** Which way bytes travel: `request` is client → server, `reply` is server → client. */
export type FaultDirection = 'request' | 'reply';

/** What to do with one chunk, in order; see FaultKind in fault-proxy.ts for the meanings. */
export type ChunkAction =
  | { kind: 'delay'; until: number }
  | { kind: 'stall'; ms: number }
  | { kind: 'chunk' }
  | { kind: 'reset' }
  | { kind: 'stall-then-reset'; ms: number }
  | { kind: 'blackhole' }
  | { kind: 'cut'; keep: number };

/** Decides, for each chunk as it arrives, what to do with it (nothing: forward as is). */
export type ChunkPolicy = (link: FaultLink, direction: FaultDirection, chunk: Buffer) => ChunkAction[];

/** Above this many bytes waiting in a pipe, the side sending them is paused. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = 1024 * 1024;

interface Queued {
  chunk: Buffer;
  actions: ChunkAction[];
}

/** An end of stream from the source: forwarded as `end()` once what came before is written. */
const END: Queued = { chunk: Buffer.alloc(0), actions: [] };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

class Pipe {
  readonly #queue: Queued[] = [];
  #queuedBytes = 0;
  #running = false;
  /** Chunks that arrived this way so far. */
  arrived = 0;

  constructor(
    readonly link: FaultLink,
    readonly direction: FaultDirection,
    readonly source: Socket,
    readonly destination: Socket,
  ) {}

  push(entry: Queued): void {
    this.#queue.push(entry);
    this.#queuedBytes += entry.chunk.length;
    if (this.#queuedBytes > HIGH_WATER_BYTES) this.source.pause();
    if (!this.#running) {
      this.#running = true;
      void this.#run();
    }
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.link.forwarding) {
        const entry = this.#queue.shift()!;
        this.#queuedBytes -= entry.chunk.length;
        if (this.#queuedBytes < LOW_WATER_BYTES && this.source.isPaused()) this.source.resume();
        if (entry === END) {
          this.destination.end();
          continue;
        }
        await this.#forward(entry);
      }
    } finally {
      this.#running = false;
    }
  }

  async #forward({ chunk, actions }: Queued): Promise<void> {
    let trickle = false;
    for (const action of actions) {
      switch (action.kind) {
        case 'delay': {
          const wait = action.until - performance.now();
          if (wait > 0) await sleep(wait);
          break;
        }
        case 'stall':
          await sleep(action.ms);
          break;
        case 'chunk':
          trickle = true;
          break;
        case 'reset':
          this.link.reset();
          return;
        case 'stall-then-reset':
          await sleep(action.ms);
          this.link.reset();
          return;
        case 'blackhole':
          this.link.blackhole();
          return;
        case 'cut':
          await this.#write(chunk.subarray(0, action.keep), false);
          // A request cut short is reset at once (the server drops the partial command); a reply
          // cut short ends cleanly, so the client sees a truncated reply then end of stream.
          if (this.direction === 'request') this.link.reset();
          else this.link.closeMidReply();
          return;
      }
      if (!this.link.forwarding) return;
    }
    await this.#write(chunk, trickle);
  }

  async #write(bytes: Buffer, trickle: boolean): Promise<void> {
    if (!this.link.forwarding || bytes.length === 0) return;
    this.link.countForwarded(this.direction, bytes.length);
    if (!trickle) {
      if (!this.destination.write(bytes)) await this.#drained();
      return;
    }
    // One byte per write, each written and followed by a turn of the event loop (whose poll
    // phase lets a reader in this process read it) before the next, so reads get 1-byte chunks.
    for (let i = 0; i < bytes.length && this.link.forwarding; i++) {
      await new Promise<void>((resolve) => this.destination.write(bytes.subarray(i, i + 1), () => resolve()));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.destination.off('drain', done);
        this.destination.off('close', done);
        resolve();
      };
      this.destination.once('drain', done);
      this.destination.once('close', done);
    });
  }
}

/** A client connection through the proxy, to upstream `node`. */
export class FaultLink {
  readonly #client: Socket;
  readonly #server: Socket;
  readonly #requests: Pipe;
  readonly #replies: Pipe;
  readonly #policy: ChunkPolicy;
  readonly #onForwarded: (direction: FaultDirection, bytes: number) => void;
  #state: 'open' | 'blackholed' | 'closed' = 'open';
  #onClosed: (() => void) | undefined;

  constructor(
    readonly node: number,
    client: Socket,
    server: Socket,
    policy: ChunkPolicy,
    onForwarded: (direction: FaultDirection, bytes: number) => void,
    onClosed: () => void,
  ) {
    this.#client = client;
    this.#server = server;
    this.#policy = policy;
    this.#onForwarded = onForwarded;
    this.#onClosed = onClosed;
    this.#requests = new Pipe(this, 'request', client, server);
    this.#replies = new Pipe(this, 'reply', server, client);
    this.#wire(this.#requests);
    this.#wire(this.#replies);
  }

  /** Bytes still go through (not reset, closed or blackholed). */
  get forwarding(): boolean {
    return this.#state === 'open';
  }

  /** Chunks that arrived from the client (request) or the server (reply) so far. */
  arrived(direction: FaultDirection): number {
    return direction === 'request' ? this.#requests.arrived : this.#replies.arrived;
  }

  countForwarded(direction: FaultDirection, bytes: number): void {
    this.#onForwarded(direction, bytes);
  }

  /** Both sockets end with a TCP RST, as when a peer or a middlebox drops the connection. */
  reset(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    resetSocket(this.#client);
    resetSocket(this.#server);
    this.#closed();
  }

  /** The client gets a clean end of stream after what was written; the server side is dropped. */
  closeMidReply(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#client.end();
    this.#client.once('finish', () => this.#client.destroy());
    this.#server.destroy();
    this.#closed();
  }

  /** From now on nothing goes through either way, and nothing is closed. */
  blackhole(): void {
    if (this.#state === 'open') this.#state = 'blackholed';
  }

  /** Ends both sides at once (the proxy is stopping). */
  destroy(): void {
    this.#state = 'closed';
    this.#client.destroy();
    this.#server.destroy();
    this.#closed();
  }

  #wire(pipe: Pipe): void {
    const { source, direction } = pipe;
    source.on('data', (chunk: Buffer) => {
      if (this.#state !== 'open') return;
      pipe.arrived++;
      pipe.push({ chunk, actions: this.#policy(this, direction, chunk) });
    });
    source.on('end', () => {
      if (this.#state === 'open') pipe.push(END);
      else if (this.#state === 'blackholed') this.destroy();
    });
    // A reset or error on one side is passed on to the other as a reset.
    source.on('error', () => this.reset());
    source.on('close', () => {
      if (this.#client.destroyed && this.#server.destroyed) this.#closed();
      else if (this.#state !== 'open') this.destroy();
    });
  }

  #closed(): void {
    const onClosed = this.#onClosed;
    this.#onClosed = undefined;
    onClosed?.();
  }
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    // Not connected yet (no handle to reset): a plain destroy is all there is.
    socket.destroy();
  }
}
