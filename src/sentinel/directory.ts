import { Command, encodedNameOf } from '../connection/command.js';
import { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/options.js';
import { ReplyError, SentinelError } from '../errors.js';
import type { RespValue } from '../resp/types.js';

/** A server's address as the sentinels report it. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

export function addressText(address: Address): string {
  return `${address.host}:${address.port}`;
}

/** Replica flags that mean Sentinel does not consider it usable. */
const UNHEALTHY_FLAGS = ['s_down', 'o_down', 'disconnected'];

/**
 * Asks the sentinels where the primary and its replicas are, trying each in turn, starting with
 * the one that answered last (or the one that just announced a failover, see `prefer`).
 *
 * One connection per sentinel, opened on first use and kept while it works; a sentinel that fails
 * is closed and the next one asked, so a dead sentinel costs one failed attempt per query.
 */
export class SentinelDirectory {
  readonly #sentinels: readonly ConnectionOptions[];
  readonly #name: string;
  readonly #connections: Array<{ connection: Connection; ready: Promise<Connection> } | undefined>;
  /** Indexes of `#sentinels`, the one to ask first at the front. */
  #order: number[];
  #closed = false;

  constructor(sentinels: readonly ConnectionOptions[], name: string) {
    this.#sentinels = sentinels;
    this.#name = name;
    this.#connections = sentinels.map(() => undefined);
    this.#order = sentinels.map((_, index) => index);
  }

  get sentinelCount(): number {
    return this.#sentinels.length;
  }

  /** The connection options of sentinel `index` (the subscriber connects with the same). */
  sentinelOptions(index: number): ConnectionOptions {
    return this.#sentinels[index];
  }

  /** Asks sentinel `index` first from now on: it is the one that told us about a failover. */
  prefer(index: number): void {
    this.#order = [index, ...this.#order.filter((other) => other !== index)];
  }

  /** SENTINEL GET-MASTER-ADDR-BY-NAME, from the first sentinel that names a primary. */
  primary(): Promise<Address> {
    return this.#askInTurn(['GET-MASTER-ADDR-BY-NAME', this.#name], (reply) => {
      if (!Array.isArray(reply) || reply.length !== 2) return undefined;
      const port = Number(reply[1]);
      if (typeof reply[0] !== 'string' || !Number.isInteger(port)) return undefined;
      return { host: reply[0], port };
    });
  }

  /** SENTINEL REPLICAS: the replicas the first answering sentinel considers healthy. */
  replicas(): Promise<Address[]> {
    return this.#askInTurn(['REPLICAS', this.#name], (reply) => {
      if (!Array.isArray(reply)) return undefined;
      const healthy: Address[] = [];
      for (const entry of reply) {
        const fields = fieldsOf(entry);
        const flags = (fields.get('flags') ?? '').split(',');
        if (flags.some((flag) => UNHEALTHY_FLAGS.includes(flag))) continue;
        if (fields.get('master-link-status') !== 'ok') continue;
        const port = Number(fields.get('port'));
        const host = fields.get('ip');
        if (host !== undefined && Number.isInteger(port)) healthy.push({ host, port });
      }
      return healthy;
    });
  }

  close(): void {
    this.#closed = true;
    for (const entry of this.#connections) entry?.connection.disconnect();
    this.#connections.fill(undefined);
  }

  /**
   * Sends `SENTINEL <args>` to each sentinel in turn until one gives an answer `read` accepts.
   * A sentinel that cannot be reached, refuses (NOAUTH, unknown name) or does not know the name
   * is passed over; the rejection, once all were, lists why each was.
   */
  async #askInTurn<T>(args: string[], read: (reply: RespValue) => T | undefined): Promise<T> {
    const problems: string[] = [];
    for (const index of [...this.#order]) {
      if (this.#closed) break;
      const { host, port } = this.#sentinels[index];
      try {
        const reply = await this.#ask(index, args);
        const value = reply instanceof ReplyError ? undefined : read(reply);
        if (value !== undefined) {
          if (this.#order[0] !== index) this.prefer(index);
          return value;
        }
        problems.push(
          `${host}:${port} ${reply instanceof ReplyError ? `refused: ${reply.message}` : `does not know "${this.#name}"`}`,
        );
      } catch (error) {
        problems.push(`${host}:${port}: ${(error as Error).message}`);
      }
    }
    throw new SentinelError(
      `no sentinel named a primary for "${this.#name}" (${problems.join('; ') || 'closed'})`,
      'NO_PRIMARY',
    );
  }

  /** One query on sentinel `index`'s connection; a reply error is returned, not thrown. */
  async #ask(index: number, args: string[]): Promise<RespValue> {
    const connection = await this.#connectionTo(index);
    const command = new Command('SENTINEL', encodedNameOf('SENTINEL'), args);
    // A sentinel that accepts the connection but never answers must not stall resolution.
    command.deadline = performance.now() + connection.options.connectTimeout;
    connection.send(command);
    try {
      return (await command.promise) as RespValue;
    } catch (error) {
      if (error instanceof ReplyError) return error;
      this.#drop(index, connection);
      throw error;
    }
  }

  /** The connection to sentinel `index`, shared by concurrent queries (one connect in flight). */
  #connectionTo(index: number): Promise<Connection> {
    const existing = this.#connections[index];
    if (existing !== undefined && existing.connection.status !== 'closed') return existing.ready;
    const connection = new Connection(this.#sentinels[index]);
    connection.on('error', () => undefined);
    const ready = connection.connect().then(
      () => connection,
      (error: Error) => {
        this.#drop(index, connection);
        throw error;
      },
    );
    this.#connections[index] = { connection, ready };
    return ready;
  }

  #drop(index: number, connection: Connection): void {
    connection.disconnect();
    if (this.#connections[index]?.connection === connection) this.#connections[index] = undefined;
  }
}

/** A SENTINEL REPLICAS entry: a flat [name, value, ...] array in RESP2, a map in RESP3. */
function fieldsOf(entry: RespValue): Map<string, string> {
  const fields = new Map<string, string>();
  if (entry instanceof Map) {
    for (const [key, value] of entry) fields.set(String(key), String(value));
  } else if (Array.isArray(entry)) {
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), String(entry[i + 1]));
  }
  return fields;
}
