import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, ReplyError } from '../../src/index.js';
import { forEachProtocol, sleep, uniqueKey } from '../helpers.js';

// Long-running scripts and functions: after busy-reply-threshold (100 ms here) the server answers
// every other client with BUSY until SCRIPT KILL / FUNCTION KILL stops the script. These loops
// never write, so they can always be killed. Every test has a time limit and kills whatever is
// left running, so a failure cannot hang the suite.

const LOOP = 'local i = 0 while true do i = i + 1 end';
const SPIN_LIBRARY = `#!lua name=busylib
redis.register_function('busy_spin', function(keys, args) local i = 0 while true do i = i + 1 end end)
`;
const LIMIT = { timeout: 30_000 };
const WAIT = { timeout: 10_000 };

/** Polls with GET from `client` until the server answers BUSY; returns that error. */
async function waitUntilBusy(client: Client): Promise<ReplyError> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      await client.withOptions(WAIT).call('GET', 'busy:probe');
    } catch (error) {
      if (error instanceof ReplyError && error.code === 'BUSY') return error;
      throw error;
    }
    await sleep(10);
  }
  throw new Error('the server never became busy');
}

/** Kills any script or function still running, from a fresh connection, whatever happened. */
async function killLeftovers(url: string): Promise<void> {
  const rescuer = new Client({ url, resp: 2, reconnect: false });
  try {
    await rescuer.connect();
    for (const kind of ['SCRIPT', 'FUNCTION']) await rescuer.call(kind, 'KILL').catch(() => undefined);
  } finally {
    rescuer.disconnect();
  }
}

forEachProtocol(
  (redis) => {
    test(
      'a looping script makes other clients BUSY until scriptKill, then everyone recovers',
      LIMIT,
      async () => {
        const a = await redis.newClient();
        const b = await redis.newClient();
        const key = uniqueKey('busy');
        await a.call('SET', key, 'before');
        const running = a.withOptions(WAIT).eval(LOOP);
        running.catch(() => undefined);
        try {
          const busy = await waitUntilBusy(b);
          assert.equal(busy.command, 'GET');
          assert.equal(busy.mayHaveRun, false);
          assert.match(busy.message, /^BUSY Redis is busy running a script/);
          await assert.rejects(b.withOptions(WAIT).call('SET', key, 'during'), { code: 'BUSY' });

          // A's own connection is queued behind its script: this GET is answered after the kill.
          const queuedOnA = a.withOptions(WAIT).call('GET', key);
          assert.equal(await a.scriptKill(), 'OK');
          await assert.rejects(running, (error: unknown) => {
            assert.ok(error instanceof ReplyError);
            assert.equal(error.code, 'ERR');
            assert.equal(error.command, 'EVAL');
            assert.match(error.message, /Script killed by user with SCRIPT KILL/);
            return true;
          });
          assert.equal(await queuedOnA, 'before');
        } finally {
          await killLeftovers(redis.server.url);
        }
        assert.equal(a.status, 'ready');
        assert.equal(await a.call('SET', key, 'after'), 'OK');
        assert.equal(await b.call('GET', key), 'after');
        assert.equal(await a.eval('return 1 + 1'), 2);
      },
    );

    test(
      'a looping function makes other clients BUSY until functionKill, then everyone recovers',
      LIMIT,
      async () => {
        const a = await redis.newClient();
        const b = await redis.newClient();
        await a.functionLoad(SPIN_LIBRARY, { replace: true });
        const running = a.withOptions(WAIT).fcall('busy_spin', [], ['x']);
        running.catch(() => undefined);
        try {
          const busy = await waitUntilBusy(b);
          assert.equal(busy.code, 'BUSY');
          // FUNCTION STATS is one of the few commands the server still answers while busy.
          const stats = await b.withOptions(WAIT).functionStats();
          assert.notEqual(stats.runningScript, null);
          assert.equal(stats.runningScript!.name, 'busy_spin');
          assert.deepEqual(
            stats.runningScript!.command.map((part) => part.toUpperCase()),
            ['FCALL', 'BUSY_SPIN', '0', 'X'],
          );
          assert.ok(stats.runningScript!.durationMs >= 50, `durationMs: ${stats.runningScript!.durationMs}`);

          assert.equal(await a.functionKill(), 'OK');
          await assert.rejects(running, (error: unknown) => {
            assert.ok(error instanceof ReplyError);
            assert.equal(error.code, 'ERR');
            assert.equal(error.command, 'FCALL');
            assert.match(error.message, /Script killed by user/);
            return true;
          });
        } finally {
          await killLeftovers(redis.server.url);
        }
        assert.equal(a.status, 'ready');
        assert.equal(await a.call('PING'), 'PONG');
        assert.equal(await b.call('PING'), 'PONG');
        assert.equal((await b.functionStats()).runningScript, null);
      },
    );

    test('scriptKill and functionKill with nothing running reject with NOTBUSY', LIMIT, async () => {
      await assert.rejects(redis.client.scriptKill(), (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.code, 'NOTBUSY');
        assert.equal(error.command, 'SCRIPT KILL');
        return true;
      });
      await assert.rejects(redis.client.functionKill(), { code: 'NOTBUSY' });
      assert.equal(await redis.client.call('PING'), 'PONG');
    });

    test(
      'scriptKill works while busy for a client with a database and a connection name',
      LIMIT,
      async () => {
        // The kill goes over a side connection opened on demand, i.e. while the server is busy:
        // its handshake must only use commands a busy server still answers (HELLO, AUTH).
        const a = await redis.newClient({ db: 1, name: 'busy-killer' });
        const b = await redis.newClient();
        const running = a.withOptions(WAIT).eval(LOOP);
        running.catch(() => undefined);
        try {
          await waitUntilBusy(b);
          assert.equal(await a.scriptKill(), 'OK');
          await assert.rejects(running, { code: 'ERR' });
        } finally {
          await killLeftovers(redis.server.url);
        }
        assert.equal(await a.call('PING'), 'PONG');
      },
    );
  },
  { config: { 'busy-reply-threshold': 100 } },
);
