import { Command, encodedNameOf } from '../connection/command.js';
import { ClusterError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { NodePool } from './node-pool.js';
import { commonSlot } from './slots.js';

/** What `COMMAND INFO` says about where a command's keys are. */
interface ServerKeySpec {
  first: number;
  last: number;
  step: number;
  /** Key positions depend on the arguments: ask `COMMAND GETKEYS` each time. */
  movable: boolean;
}

const MAX_CACHED = 1024;

/**
 * Key positions of commands redmoon does not describe (module commands, new commands), from the
 * server's own description, so `call()` routes them correctly too. Looked up once per command
 * name; commands with movable keys are asked per call with COMMAND GETKEYS.
 */
export class CommandKeys {
  readonly #pool: NodePool;
  readonly #specs = new Map<string, Promise<ServerKeySpec | undefined>>();

  constructor(pool: NodePool) {
    this.#pool = pool;
  }

  /** The slot of `name args...`, or -1 when the command has no keys. */
  async slotOf(name: string, args: readonly RedisArg[]): Promise<number> {
    const spec = await this.#specFor(name);
    if (spec === undefined || (spec.first === 0 && !spec.movable)) return -1;
    let keys: RedisArg[];
    if (spec.movable) {
      const reply = await this.#ask(['GETKEYS', ...name.split(' '), ...args]);
      keys = Array.isArray(reply) ? (reply as RedisArg[]) : [];
    } else {
      // COMMAND INFO counts positions from the command name (1 = first argument).
      const last = spec.last < 0 ? args.length + spec.last + 1 : spec.last;
      keys = [];
      for (
        let position = spec.first;
        position <= last && position - 1 < args.length;
        position += Math.max(1, spec.step)
      ) {
        keys.push(args[position - 1]);
      }
    }
    return commonSlot(name, keys);
  }

  #specFor(name: string): Promise<ServerKeySpec | undefined> {
    const lookup = name.split(' ')[0].toLowerCase();
    let spec = this.#specs.get(lookup);
    if (spec === undefined) {
      const asked = this.#ask(['INFO', lookup]).then(readInfo);
      // A failed lookup (node down, timeout) is not an answer: forget it so the next call asks again.
      asked.catch(() => this.#specs.delete(lookup));
      spec = asked;
      if (this.#specs.size < MAX_CACHED) this.#specs.set(lookup, spec);
    }
    return spec;
  }

  async #ask(args: RedisArg[]): Promise<RespValue> {
    const primary = this.#pool.primaries[0];
    if (primary === undefined) throw new ClusterError('no node is known yet', 'NO_NODE', false);
    const command = new Command('COMMAND', encodedNameOf('COMMAND'), args);
    this.#pool.handle(primary).connection.send(command);
    return (await command.promise) as RespValue;
  }
}

function readInfo(reply: RespValue): ServerKeySpec | undefined {
  // [[name, arity, flags, firstkey, lastkey, step, ...]] — nil for an unknown command.
  if (!Array.isArray(reply) || !Array.isArray(reply[0])) return undefined;
  const info = reply[0] as RespValue[];
  const flags = Array.isArray(info[2]) ? (info[2] as RespValue[]).map(String) : [];
  return {
    first: Number(info[3]),
    last: Number(info[4]),
    step: Number(info[5]),
    movable: flags.includes('movablekeys'),
  };
}
