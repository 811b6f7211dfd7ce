import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { COMMANDS } from '../../src/client/commands/index.js';
import { Client, Cluster, Library, RedisFunction, Script } from '../../src/index.js';
import { type RedisServer, startRedis } from '../../src/testing/index.js';
import { settledWithin } from '../cluster/cluster-helpers.js';
import { garbage, garbageArgs, materialize, show, untyped } from './garbage.js';

// Issue 9, item 7: every public method fed garbage gives a typed RedisError or a value — never a
// TypeError, never a synchronous throw from a method that returns a promise, never a connection
// left broken (a PING afterwards works). Default runs are short; REDMOON_SOAK=1 runs many more.

const SOAK = process.env.REDMOON_SOAK === '1';
const RUNS = SOAK ? 20_000 : 400;
const SMALL_RUNS = SOAK ? 5_000 : 150;
const SETTLE_MS = 3_000;
const SEED = Number(process.env.REDMOON_FUZZ_SEED ?? 0x9a7ba9e);

/**
 * Blocking commands would hold the shared connection (their garbage timeouts may be 0 = forever),
 * and CONFIG SET could reconfigure the very server the check runs on; everything else is fed.
 */
const NOT_FED = new Set(['blpop', 'brpop', 'blmove', 'blmpop', 'bzpopmin', 'bzpopmax', 'wait', 'configSet']);
const METHODS = [...Object.keys(COMMANDS).filter((name) => !NOT_FED.has(name)), 'scriptExists'];

const figures = { calls: 0, values: 0, redisErrors: 0, syncRefusals: 0, pings: 0 };

/** Runs `call` (which must return a promise) and checks how it settles. */
async function expectSettledTyped(label: string, call: () => unknown, ms = SETTLE_MS): Promise<void> {
  figures.calls++;
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    assert.fail(
      `${label} threw synchronously instead of rejecting: ${untyped(error) ?? (error as Error).message}`,
    );
  }
  assert.ok(result instanceof Promise, `${label} did not return a promise`);
  const outcome = await settledWithin(result, ms);
  assert.notEqual(outcome, 'pending', `${label} did not settle within ${ms} ms`);
  if (outcome !== 'pending' && 'error' in outcome) {
    const why = untyped(outcome.error);
    assert.equal(why, undefined, `${label} rejected with ${why}`);
    figures.redisErrors++;
  } else {
    figures.values++;
  }
}

/** Runs `call`, which may return or throw synchronously, but only a RedisError. */
function expectReturnsOrThrowsTyped<T>(label: string, call: () => T): T | undefined {
  figures.calls++;
  try {
    const value = call();
    figures.values++;
    return value;
  } catch (error) {
    const why = untyped(error);
    assert.equal(why, undefined, `${label} threw ${why}`);
    figures.syncRefusals++;
    return undefined;
  }
}

describe('The public API fed garbage', () => {
  let server: RedisServer;
  const clients: Client[] = [];
  before(async () => {
    server = await startRedis();
    for (const resp of [2, 3] as const) {
      const client = new Client({ url: server.url, resp });
      await client.connect();
      clients.push(client);
    }
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await server.stop();
    process.stdout.write(
      `# api garbage: ${figures.calls} calls fuzzed (${figures.values} values, ${figures.redisErrors} RedisError rejections, ` +
        `${figures.syncRefusals} typed synchronous refusals), ${figures.pings} PINGs after them all answered\n`,
    );
  });

  /** The connection must still serve a PING after whatever was sent. */
  async function stillUsable(client: Client): Promise<void> {
    figures.pings++;
    const outcome = await settledWithin(client.ping(), SETTLE_MS);
    assert.deepEqual(outcome, { value: 'PONG' }, `PING after the call: ${JSON.stringify(outcome)}`);
  }

  test('every command method settles with a value or a RedisError, and the connection stays usable', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        garbageArgs,
        fc.constantFrom(0, 1),
        async (method, args, which) => {
          const client = clients[which];
          const target = client as unknown as Record<string, (...params: unknown[]) => unknown>;
          const values = materialize(args) as unknown[];
          await expectSettledTyped(`${method}(${show(args)})`, () => target[method](...values));
          await stillUsable(client);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  test('call() settles with a value or a RedisError for garbage names and arguments', async () => {
    const names = fc.oneof(
      garbage,
      fc.constantFrom('GET', 'SET', 'ECHO', 'HSET', 'EVAL', 'ZADD', 'function', 'script', 'Select', 'multi'),
      // Unknown to the server by construction: random names never hit SHUTDOWN or DEBUG.
      fc.string({ maxLength: 8 }).map((name) => `X${name}`),
    );
    await fc.assert(
      fc.asyncProperty(names, garbageArgs, async (name, args) => {
        const client = clients[1];
        const values = materialize([name, ...args]) as unknown[];
        await expectSettledTyped(`call(${show([name, ...args])})`, () =>
          (client.call as (...params: unknown[]) => unknown)(...values),
        );
        await stillUsable(client);
      }),
      { numRuns: SMALL_RUNS, seed: SEED },
    );
  });

  test('pipelines and transactions of garbage calls settle every queued call and exec() typed', async () => {
    const calls = fc.array(fc.tuple(fc.constantFrom(...METHODS), garbageArgs), {
      minLength: 1,
      maxLength: 5,
    });
    await fc.assert(
      fc.asyncProperty(calls, fc.boolean(), async (queued, transaction) => {
        const client = clients[1];
        const batch = (transaction ? client.multi() : client.pipeline()) as unknown as Record<
          string,
          (...params: unknown[]) => unknown
        >;
        const label = `${transaction ? 'multi' : 'pipeline'} of ${queued.map(([method, args]) => `${method}(${show(args)})`).join('; ')}`;
        const promises: unknown[] = [];
        for (const [method, args] of queued) {
          const values = materialize(args) as unknown[];
          expectReturnsOrThrowsTyped(label, () => promises.push(batch[method](...values)));
        }
        await expectSettledTyped(`${label}: exec()`, () => batch.exec());
        for (const promise of promises) await expectSettledTyped(`${label}: a queued call`, () => promise);
        await stillUsable(client);
      }),
      { numRuns: SMALL_RUNS, seed: SEED },
    );
  });

  test('withOptions() refuses garbage options synchronously and typed, or gives a view that works', async () => {
    const options = fc.oneof(
      garbage,
      fc.record({ timeout: garbage, signal: garbage, buffers: garbage }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(options, async (recipe) => {
        const garbageOptions = materialize(recipe);
        const client = clients[1];
        const view = expectReturnsOrThrowsTyped(`withOptions(${show([recipe])})`, () =>
          client.withOptions(garbageOptions as never),
        );
        if (view !== undefined) {
          await expectSettledTyped(`withOptions(${show([recipe])}).echo()`, () => view.echo('x'));
          await expectSettledTyped(`withOptions(${show([recipe])}).pipeline()`, () => view.pipeline().exec());
        }
        await stillUsable(client);
      }),
      { numRuns: SMALL_RUNS, seed: SEED },
    );
  });

  test('Script, Library and RedisFunction refuse garbage typed: synchronously when building, asynchronously when running', async () => {
    const targets = fc.oneof(garbage, fc.constantFrom('client', 'pipeline', 'multi', 'view'));
    const resolveTarget = (target: unknown): unknown => {
      const client = clients[1];
      if (target === 'client') return client;
      if (target === 'pipeline') return client.pipeline();
      if (target === 'multi') return client.multi();
      if (target === 'view') return client.withOptions({ timeout: 1000 });
      return target;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          garbage,
          fc.constantFrom('return 1', "return redis.call('GET', KEYS[1])", '#!lua\nreturn ARGV'),
        ),
        garbage,
        targets,
        garbageArgs,
        async (luaRecipe, optionsRecipe, rawTarget, paramsRecipe) => {
          const [lua, options, params] = materialize([luaRecipe, optionsRecipe, paramsRecipe]) as [
            unknown,
            unknown,
            unknown[],
          ];
          const target = resolveTarget(materialize(rawTarget));
          const label = `Script.fromLua(${show([luaRecipe, optionsRecipe])}) on ${show([rawTarget])} with ${show(paramsRecipe)}`;
          const script = expectReturnsOrThrowsTyped(label, () =>
            Script.fromLua(lua as string, options as never),
          );
          const calls: Array<[string, () => unknown]> = [];
          if (script !== undefined) {
            const run = script as unknown as Record<string, (...args: unknown[]) => unknown>;
            for (const method of ['eval', 'evalsha', 'evalshaWithReload', 'load']) {
              calls.push([`${label}: ${method}`, () => run[method](target, ...params)]);
            }
          }
          expectReturnsOrThrowsTyped(`Script.fromHash(${show([luaRecipe, optionsRecipe])})`, () =>
            Script.fromHash(lua as string, options as never),
          );
          const fn = expectReturnsOrThrowsTyped(
            `new RedisFunction(${show([luaRecipe, optionsRecipe])})`,
            () => Reflect.construct(RedisFunction, [lua, options, params]),
          ) as RedisFunction | undefined;
          if (fn !== undefined) {
            calls.push([
              `${show([luaRecipe])}.fcall on ${show([rawTarget])}`,
              () => fn.fcall(target as never, params[0] as never, params[1] as never),
            ]);
          }
          const batched = rawTarget === 'pipeline' || rawTarget === 'multi';
          if (!batched) {
            for (const [callLabel, call] of calls) await expectSettledTyped(callLabel, call);
            await expectSettledTyped(`Library.fromCode(${show([rawTarget, luaRecipe])})`, () =>
              Library.fromCode(target as never, lua as string),
            );
            await expectSettledTyped(`Library.fromName(${show([rawTarget, luaRecipe])})`, () =>
              Library.fromName(target as never, lua as string),
            );
          } else {
            // Calls queued on a batch settle once it is executed. (Library.fromCode and fromName
            // refuse a batch: the test below.)
            const results = calls.map(([callLabel, call]): [string, unknown] => {
              let result: unknown;
              expectReturnsOrThrowsTyped(callLabel, () => {
                result = call();
              });
              return [callLabel, result];
            });
            await expectSettledTyped(`${label}: exec()`, () => (target as { exec(): unknown }).exec());
            for (const [callLabel, result] of results) {
              await expectSettledTyped(`${callLabel}, after exec()`, () => result);
            }
          }
          await stillUsable(clients[1]);
        },
      ),
      { numRuns: SMALL_RUNS, seed: SEED },
    );
  });

  test('Library.fromCode and fromName on a pipeline or transaction settle', async () => {
    for (const batch of [clients[1].pipeline(), clients[1].multi()]) {
      await expectSettledTyped('Library.fromName(pipeline)', () => Library.fromName(batch, 'nolib'), 1000);
    }
  });

  test('new Client() and new Cluster() refuse garbage options with an ArgumentError', async () => {
    const options = fc.oneof(
      garbage,
      fc.record(
        {
          url: garbage,
          host: garbage,
          port: garbage,
          db: garbage,
          password: garbage,
          resp: garbage,
          reconnect: garbage,
          tls: garbage,
          nodes: garbage,
          maxReplyDepth: garbage,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(options, async (recipe) => {
        const garbageOptions = materialize(recipe);
        for (const Kind of [Client, Cluster] as const) {
          const made = expectReturnsOrThrowsTyped(`new ${Kind.name}(${show([recipe])})`, () =>
            Reflect.construct(Kind, [garbageOptions]),
          ) as { disconnect(): void } | undefined;
          made?.disconnect();
        }
      }),
      { numRuns: SMALL_RUNS, seed: SEED },
    );
  });
});
