import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startRedis } from '../src/testing/index.js';
import { repoRoot } from './helpers.js';

// The package ships two builds (dist/esm and dist/cjs). An application whose dependencies load
// both gets two copies of the client: an error raised by code that required redmoon must still be
// recognised by code that imported it (the dual-package hazard), and the other way round. The
// build makes the error classes exist once (scripts/build.mjs); these tests hold it to that.

type Errors = typeof import('../src/errors.js');
type Package = typeof import('../src/index.js');

const root = repoRoot();
const built =
  existsSync(join(root, 'dist', 'esm', 'index.js')) && existsSync(join(root, 'dist', 'cjs', 'index.js'));
const skip = built ? false : 'dist/ is not built (npm run build)';

let esm: Package;
let cjs: Package;

before(async () => {
  if (!built) return;
  esm = (await import(pathToFileURL(join(root, 'dist', 'esm', 'index.js')).href)) as Package;
  cjs = createRequire(import.meta.url)(join(root, 'dist', 'cjs', 'index.js')) as Package;
});

const CLASSES = [
  'RedisError',
  'ReplyError',
  'ExecAbortError',
  'WatchError',
  'ArgumentError',
  'ConnectionError',
  'TimeoutError',
  'AbortError',
  'ProtocolError',
  'ClusterError',
  'FanOutError',
] as const satisfies readonly (keyof Errors)[];

/** One instance of each class, built with the given copy of the package. */
function samples(errors: Errors): Record<(typeof CLASSES)[number], Error> {
  return {
    RedisError: new errors.RedisError('m', 'SOME_CODE', false),
    ReplyError: new errors.ReplyError(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      'GET',
    ),
    ExecAbortError: new errors.ExecAbortError('m', new Map()),
    WatchError: new errors.WatchError(),
    ArgumentError: new errors.ArgumentError('m'),
    ConnectionError: new errors.ConnectionError('m', 'CONNECTION_LOST', true),
    TimeoutError: new errors.TimeoutError('m', true),
    AbortError: new errors.AbortError(false),
    ProtocolError: new errors.ProtocolError('m'),
    ClusterError: new errors.ClusterError('m', 'NO_NODE', false),
    FanOutError: new errors.FanOutError('SCRIPT LOAD', new Map(), new Map([['a:1', new Error('x')]])),
  };
}

/** The classes each one is an instance of within one build: itself and its ancestors. */
const ANCESTORS: Record<(typeof CLASSES)[number], readonly string[]> = {
  RedisError: ['RedisError'],
  ReplyError: ['ReplyError', 'RedisError'],
  ExecAbortError: ['ExecAbortError', 'RedisError'],
  WatchError: ['WatchError', 'RedisError'],
  ArgumentError: ['ArgumentError', 'RedisError'],
  ConnectionError: ['ConnectionError', 'RedisError'],
  TimeoutError: ['TimeoutError', 'RedisError'],
  AbortError: ['AbortError', 'RedisError'],
  ProtocolError: ['ProtocolError', 'RedisError'],
  ClusterError: ['ClusterError', 'RedisError'],
  FanOutError: ['FanOutError', 'ClusterError', 'RedisError'],
};

describe('errors across the ES module and CommonJS builds', { skip }, () => {
  test('the two builds are two copies of the client sharing one copy of each error class', () => {
    assert.notEqual(esm.Client, cjs.Client);
    for (const name of CLASSES) assert.equal(esm[name], cjs[name], name);
  });

  for (const [made, checked] of [
    ['cjs', 'esm'],
    ['esm', 'cjs'],
    ['esm', 'esm'],
    ['cjs', 'cjs'],
  ] as const) {
    test(`an error made by the ${made} build is instanceof exactly its own classes of the ${checked} build`, () => {
      const errors = samples(made === 'esm' ? esm : cjs);
      const classes = checked === 'esm' ? esm : cjs;
      for (const made of CLASSES) {
        for (const against of CLASSES) {
          const expected = ANCESTORS[made].includes(against);
          assert.equal(errors[made] instanceof classes[against], expected, `${made} instanceof ${against}`);
        }
        assert.ok(errors[made] instanceof Error, `${made} instanceof Error`);
      }
    });
  }

  test('values that are not redmoon errors are instanceof none of the classes', () => {
    const plain = new Error('ERR x');
    Object.assign(plain, { code: 'ERR', mayHaveRun: false, name: 'ReplyError' });
    const values: unknown[] = [
      plain,
      new TypeError('x'),
      'ERR x',
      null,
      undefined,
      1,
      {},
      [],
      Object.create(null),
    ];
    for (const [index, value] of values.entries()) {
      for (const name of CLASSES) {
        assert.equal(value instanceof esm[name], false, `value #${index} instanceof esm ${name}`);
        assert.equal(value instanceof cjs[name], false, `value #${index} instanceof cjs ${name}`);
      }
    }
  });

  test("a caller's subclass keeps ordinary instanceof semantics", () => {
    class RetryableError extends esm.ReplyError {}
    const mine = new RetryableError('BUSY running a script', 'EVALSHA');
    assert.ok(mine instanceof RetryableError);
    assert.ok(mine instanceof esm.ReplyError);
    assert.ok(mine instanceof cjs.ReplyError);
    assert.ok(mine instanceof cjs.RedisError);
    assert.equal(new esm.ReplyError('BUSY x') instanceof RetryableError, false);
    assert.equal(new cjs.ReplyError('BUSY x') instanceof RetryableError, false);
  });

  describe('on a real server', () => {
    let server: Awaited<ReturnType<typeof startRedis>> | undefined;
    before(async () => {
      server = await startRedis();
    });
    after(async () => {
      await server?.stop();
    });

    test('a reply error from a CommonJS client is caught as the ES module ReplyError, and the reverse', async () => {
      assert.ok(server !== undefined);
      for (const [client, checked] of [
        [new cjs.Client({ url: server.url }), esm],
        [new esm.Client({ url: server.url }), cjs],
      ] as const) {
        await client.connect();
        try {
          await client.set('dual:list', 'x');
          const error = await client.lpush('dual:list', 'y').then(
            () => assert.fail('LPUSH on a string must fail'),
            (caught: unknown) => caught,
          );
          assert.ok(error instanceof checked.ReplyError);
          assert.ok(error instanceof checked.RedisError);
          assert.equal(error instanceof checked.ConnectionError, false);
          assert.equal((error as InstanceType<Errors['ReplyError']>).code, 'WRONGTYPE');
        } finally {
          await client.quit();
        }
      }
    });
  });
});
