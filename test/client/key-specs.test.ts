import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../src/client/commands/index.js';
import { type CommandSpec, keysOf } from '../../src/client/spec.js';
import type { RedisArg } from '../../src/resp/types.js';
import { useServer } from '../helpers.js';

// Every description's key positions and read-only flag, checked against the server's own
// description (COMMAND INFO) rather than against a second copy written by hand. A key missing
// from a description routes a cluster command to the wrong slot; a write marked read-only would
// be served by a replica.

const redis = useServer({}, { resp: 2 });

/** Calls of the commands whose keys move with the arguments, checked with COMMAND GETKEYS. */
const MOVABLE_SAMPLES: Record<string, unknown[]> = {
  lmpop: [['a', 'b'], 'LEFT', 2],
  blmpop: [1, ['a', 'b'], 'RIGHT'],
  sintercard: [['a', 'b'], { limit: 1 }],
  zmpop: [['a', 'b'], 'MIN'],
  zunionstore: ['destination', ['a', 'b'], { weights: [1, 2], aggregate: 'MAX' }],
  zinterstore: ['destination', ['a', 'b'], { aggregate: 'MIN' }],
  eval: ['return 1', ['a', 'b'], ['x']],
  evalRo: ['return 1', ['a', 'b'], ['x']],
  evalsha: ['f'.repeat(40), ['a', 'b'], ['x']],
  evalshaRo: ['f'.repeat(40), ['a', 'b'], ['x']],
  fcall: ['fn', ['a', 'b'], ['x']],
  fcallRo: ['fn', ['a', 'b'], ['x']],
  xread: [{ a: '0', b: '$' }, { count: 1 }],
  bzmpop: [1, ['a', 'b'], 'MIN'],
  xreadgroup: ['group', 'consumer', { a: '>', b: '>' }, { count: 1 }],
};

/** [flags, first key, last key, step] of `name` (`OBJECT ENCODING` looks in OBJECT's subcommands). */
async function serverSpec(name: string): Promise<[string[], number, number, number]> {
  const [main, sub] = name.split(' ');
  const [info] = (await redis.client.call('COMMAND', 'INFO', main)) as unknown[][];
  assert.ok(Array.isArray(info), `the server knows ${main}`);
  const entry =
    sub === undefined
      ? info
      : (info[9] as unknown[][]).find((candidate) => candidate[0] === `${main}|${sub}`.toLowerCase());
  assert.ok(entry !== undefined, `the server knows ${name}`);
  return [(entry[2] as string[]).map(String), Number(entry[3]), Number(entry[4]), Number(entry[5])];
}

const described = Object.entries(COMMANDS as Record<string, CommandSpec>);

test('key positions agree with COMMAND INFO, or with COMMAND GETKEYS where they move', async () => {
  const wrong: string[] = [];
  for (const [method, spec] of described) {
    const [flags, first, last, step] = await serverSpec(spec.name);
    if (flags.includes('movablekeys')) {
      const sample = MOVABLE_SAMPLES[method];
      assert.ok(sample !== undefined, `a sample call of ${method} (its keys move with the arguments)`);
      const args = spec.args(...sample) as RedisArg[];
      const mine = keysOf(spec.keys, args).map(String);
      const server = (
        (await redis.client.call('COMMAND', 'GETKEYS', ...spec.name.split(' '), ...args)) as string[]
      )
        .map(String)
        .sort();
      if (JSON.stringify([...mine].sort()) !== JSON.stringify(server))
        wrong.push(`${method}: described [${mine}], server [${server}]`);
      continue;
    }
    // The server counts from the command name (1 = the word after it), subcommand included.
    const words = spec.name.split(' ').length;
    const keys = spec.keys;
    const mine =
      keys.kind === 'none'
        ? [0, 0, 0]
        : keys.kind === 'range'
          ? [keys.first + words, keys.last < 0 ? keys.last : keys.last + words, keys.step]
          : ['numkeys'];
    if (JSON.stringify(mine) !== JSON.stringify([first, last, step]))
      wrong.push(
        `${method}: described ${JSON.stringify(mine)}, server ${JSON.stringify([first, last, step])}`,
      );
  }
  assert.deepEqual(wrong, []);
});

test('a command with keys is read-only exactly when the server flags it readonly', async () => {
  const wrong: string[] = [];
  for (const [method, spec] of described) {
    const [flags] = await serverSpec(spec.name);
    const serverReadOnly = flags.includes('readonly');
    // Keyless commands (PING, TIME, FUNCTION LIST) may be described read-only to mean "safe to
    // retry" without the server's flag, which is about data; a keyed one must agree either way.
    if (spec.retrySafe === serverReadOnly || (spec.keys.kind === 'none' && !serverReadOnly)) continue;
    wrong.push(`${method}: described retrySafe ${spec.retrySafe}, server flags ${flags.join('|')}`);
  }
  assert.deepEqual(wrong, []);
});
