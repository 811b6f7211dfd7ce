import type { ReplyError } from '../errors.js';
import type { Placement } from '../pubsub/pubsub.js';
import type { SubscriberTarget } from '../pubsub/subscriber.js';
import type { Topic } from '../pubsub/topic.js';
import type { NodePool } from './node-pool.js';
import { slotOf } from './slots.js';
import { type NodeAddress, parseRedirect } from './topology.js';

const ignore = () => undefined;

/**
 * How many times a shard channel is kept off the node that just ended it while the slot map still
 * names that node. A failover ends shard subscriptions on the old primary before every node has
 * heard of it, so the map reloaded next may still name the old primary — now a replica, which
 * accepts SSUBSCRIBE. Each time counts one retry, after the reconnect strategy's delay; past this
 * the map is believed (the slot may really have come back).
 */
const STALE_MAP_RETRIES = 5;

/**
 * Where a cluster's subscriptions live. A shard channel belongs on the primary serving its hash
 * slot (SSUBSCRIBE elsewhere answers MOVED, and a primary that loses the slot unsubscribes it).
 * Channels and patterns need one node only, since every node forwards PUBLISH to its own
 * subscribers: one primary is picked at random — spreading the subscribers of many clients — and
 * another is picked when its connection is lost.
 */
export class ClusterPlacement implements Placement {
  readonly #pool: NodePool;
  #broadcastNode: NodeAddress | undefined;
  #lastFailed: string | undefined;
  /** Slots whose shard subscription a node ended, with that node and the retries spent on it. */
  readonly #droppedBy = new Map<number, { address: string; retries: number }>();

  constructor(pool: NodePool) {
    this.#pool = pool;
  }

  homeOf(topic: Topic): SubscriberTarget | undefined {
    if (topic.kind === 'shard') {
      const primary = this.#pool.shardOf(topic.slot)?.primary;
      const dropped = this.#droppedBy.get(topic.slot);
      if (dropped !== undefined) {
        if (primary?.address === dropped.address && ++dropped.retries <= STALE_MAP_RETRIES) return undefined;
        this.#droppedBy.delete(topic.slot);
      }
      return primary;
    }
    if (this.#broadcastNode === undefined) {
      const primaries = this.#pool.primaries;
      if (primaries.length === 0) return undefined;
      // Not the node that just failed, while there is another.
      const candidates = primaries.filter((node) => node.address !== this.#lastFailed);
      const from = candidates.length > 0 ? candidates : primaries;
      this.#broadcastNode = from[Math.floor(Math.random() * from.length)];
    }
    return this.#broadcastNode;
  }

  slotOf(name: Buffer): number {
    return slotOf(name);
  }

  redirected(error: ReplyError, from: SubscriberTarget): boolean {
    const redirect = parseRedirect(error.message, from.host);
    if (redirect === undefined) return false;
    this.#pool.moved(redirect.slot, redirect.node);
    this.#pool.refresh().catch(ignore);
    return true;
  }

  dropped(topic: Topic, from: SubscriberTarget): void {
    if (topic.kind === 'shard') this.#droppedBy.set(topic.slot, { address: from.address, retries: 0 });
  }

  failed(target: SubscriberTarget): void {
    this.#lastFailed = target.address;
    if (this.#broadcastNode?.address === target.address) this.#broadcastNode = undefined;
  }

  refresh(): Promise<void> {
    return this.#pool.refresh();
  }
}
