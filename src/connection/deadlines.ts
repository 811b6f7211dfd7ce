import type { Command } from './command.js';

/**
 * Command timeouts with one timer per connection instead of one per command: a binary min-heap
 * of commands keyed by deadline, and a single `setTimeout` armed for the earliest one.
 *
 * Settled commands are not removed eagerly (that would be O(n)); they are skipped when they
 * reach the top. To keep memory bounded when commands settle long before their deadlines, the
 * heap is rebuilt without them once they make up more than half of it.
 */
export class Deadlines {
  #heap: Command[] = [];
  #timer: NodeJS.Timeout | undefined;
  #armedAt = Number.POSITIVE_INFINITY;
  /** Heap size at which settled entries are swept out; doubles with the live size (amortized O(1)). */
  #nextCompaction = 1024;
  readonly #onExpired: (command: Command) => void;
  readonly #fire = () => this.#expire();

  constructor(onExpired: (command: Command) => void) {
    this.#onExpired = onExpired;
  }

  get size(): number {
    return this.#heap.length;
  }

  add(command: Command): void {
    const heap = this.#heap;
    heap.push(command);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].deadline <= command.deadline) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = command;
    if (heap.length >= this.#nextCompaction) this.#compact();
    if (command.deadline < this.#armedAt) this.#arm(command.deadline);
  }

  clear(): void {
    this.#heap = [];
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  #arm(deadline: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedAt = deadline;
    this.#timer = setTimeout(this.#fire, Math.max(0, deadline - performance.now()));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    while (this.#heap.length > 0) {
      const top = this.#heap[0];
      if (top.isDone) {
        this.#pop();
        continue;
      }
      if (top.deadline > now) {
        this.#arm(top.deadline);
        return;
      }
      this.#pop();
      this.#onExpired(top);
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    const length = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && heap[right].deadline < heap[left].deadline ? right : left;
      if (heap[child].deadline >= last.deadline) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }

  #compact(): void {
    const live = this.#heap.filter((command) => !command.isDone);
    this.#nextCompaction = Math.max(1024, live.length * 2);
    this.#heap = [];
    for (const command of live) this.add(command);
  }
}
