import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Client, ExecAbortError, ReplyError, Script, sha1 } from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

// Script: hashing, read-only scripts, and NOSCRIPT recovery after flushes and restarts, alone,
// concurrently, in pipelines and in transactions.

/** `calls` per command from INFO commandstats, e.g. `evalsha_ro` or `script|load`. */
async function commandCalls(client: Client): Promise<Map<string, number>> {
  const info = String(await client.call('INFO', 'commandstats'));
  const calls = new Map<string, number>();
  for (const line of info.split('\r\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match !== null) calls.set(match[1], Number(match[2]));
  }
  return calls;
}

/** Runs `body` and returns how many times each command ran meanwhile (after CONFIG RESETSTAT). */
async function countCalls(client: Client, body: () => Promise<void>): Promise<Map<string, number>> {
  await client.call('CONFIG', 'RESETSTAT');
  await body();
  return commandCalls(client);
}

function noscript(error: unknown): true {
  assert.ok(error instanceof ReplyError, `expected a ReplyError, got ${String(error)}`);
  assert.equal(error.code, 'NOSCRIPT');
  return true;
}

/** A script unique to one test, so the server's script cache never carries it over. */
function incrScript(tag: string): Script<{ keys: [string]; args: []; reply: number }> {
  return Script.fromLua(`-- ${tag} ${uniqueKey()}\nreturn redis.call('INCR', KEYS[1])`);
}

test('Script.fromLua computes the sha1 locally and keeps the source', () => {
  const lua = "return redis.call('GET', KEYS[1])";
  const script = Script.fromLua(lua);
  assert.equal(script.lua, lua);
  assert.equal(script.sha1, sha1(lua));
  assert.equal(script.hasSource, true);
  assert.equal(script.readOnly, false);
  assert.equal(script.keyCount, undefined);
});

test('Script.fromLua refuses an empty or non-string source', () => {
  assert.throws(() => Script.fromLua(''), { name: 'ArgumentError', code: 'ERR_ARGUMENT' });
  assert.throws(() => Script.fromLua(undefined as unknown as string), { code: 'ERR_ARGUMENT' });
});

test('Script.fromHash keeps a lowercase sha1 and has no source', () => {
  const hash = sha1('return 1');
  const script = Script.fromHash(hash.toUpperCase());
  assert.equal(script.sha1, hash);
  assert.equal(script.hasSource, false);
  assert.throws(() => script.lua, { name: 'ArgumentError', code: 'ERR_ARGUMENT' });
  assert.throws(() => Script.fromHash('not a sha'), { code: 'ERR_ARGUMENT' });
});

test('a "#!lua flags=no-writes" shebang makes a script read-only; the option overrides it', () => {
  assert.equal(Script.fromLua('#!lua flags=no-writes\nreturn 1').readOnly, true);
  assert.equal(Script.fromLua('#!lua flags=allow-stale,no-writes\nreturn 1').readOnly, true);
  assert.equal(Script.fromLua('#!lua flags=allow-stale\nreturn 1').readOnly, false);
  assert.equal(Script.fromLua('return 1', { readOnly: true }).readOnly, true);
  assert.equal(Script.fromLua('#!lua flags=no-writes\nreturn 1', { readOnly: false }).readOnly, false);
});

test('keyCount must be a non-negative integer', () => {
  assert.throws(() => Script.fromLua('return 1', { keyCount: -1 }), { code: 'ERR_ARGUMENT' });
  assert.throws(() => Script.fromLua('return 1', { keyCount: 1.5 }), { code: 'ERR_ARGUMENT' });
  assert.equal(Script.fromLua('return 1', { keyCount: 0 }).keyCount, 0);
});

forEachProtocol((redis) => {
  test('load, evalsha and eval run the script the server knows by the same sha1', async () => {
    const script = Script.fromLua(`-- ${uniqueKey()}\nreturn {KEYS[1], ARGV[1]}`);
    assert.equal(await redis.client.scriptExists(script.sha1), false);
    assert.equal(await script.load(redis.client), script.sha1);
    assert.equal(await redis.client.scriptExists(script.sha1), true);
    assert.deepEqual(await script.evalsha(redis.client, ['k'], ['v']), ['k', 'v']);
    assert.deepEqual(await script.eval(redis.client, ['k'], ['v']), ['k', 'v']);
  });

  test('a no-writes shebang script runs with EVALSHA_RO and EVAL_RO', async () => {
    const key = uniqueKey();
    await redis.client.call('SET', key, 'value');
    const script = Script.fromLua(
      `#!lua flags=no-writes\n-- ${uniqueKey()}\nreturn redis.call('GET', KEYS[1])`,
    );
    await script.load(redis.client);
    const calls = await countCalls(redis.client, async () => {
      assert.equal(await script.evalsha(redis.client, [key]), 'value');
      assert.equal(await script.evalshaWithReload(redis.client, [key]), 'value');
      assert.equal(await script.eval(redis.client, [key]), 'value');
    });
    assert.equal(calls.get('evalsha_ro'), 2);
    assert.equal(calls.get('eval_ro'), 1);
    assert.equal(calls.get('evalsha'), undefined);
    assert.equal(calls.get('eval'), undefined);
  });

  test('a no-writes shebang script that writes is refused by the server', async () => {
    const script = Script.fromLua("#!lua flags=no-writes\nreturn redis.call('SET', KEYS[1], 'x')");
    await assert.rejects(script.evalshaWithReload(redis.client, [uniqueKey()]), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'ERR');
      assert.match(error.message, /Write commands are not allowed from read-only scripts/);
      return true;
    });
  });

  test('the readOnly option picks EVALSHA_RO, and readOnly false picks EVALSHA', async () => {
    const readOnly = Script.fromLua(`-- ${uniqueKey()}\nreturn 1`, { readOnly: true });
    const writable = Script.fromLua(`#!lua flags=no-writes\n-- ${uniqueKey()}\nreturn 2`, {
      readOnly: false,
    });
    await readOnly.load(redis.client);
    await writable.load(redis.client);
    const calls = await countCalls(redis.client, async () => {
      assert.equal(await readOnly.evalsha(redis.client), 1);
      assert.equal(await writable.evalsha(redis.client), 2);
    });
    assert.equal(calls.get('evalsha_ro'), 1);
    assert.equal(calls.get('evalsha'), 1);
  });

  test('keyCount refuses a call with another number of keys before sending', async () => {
    const script = Script.fromLua(`-- ${uniqueKey()}\nreturn #KEYS`, { keyCount: 2 });
    await script.load(redis.client);
    const calls = await countCalls(redis.client, async () => {
      await assert.rejects(script.evalsha(redis.client, ['only-one']), (error: unknown) => {
        assert.equal((error as Error).name, 'ArgumentError');
        assert.match((error as Error).message, /takes 2 key\(s\), got 1/);
        return true;
      });
      await assert.rejects(script.eval(redis.client), { code: 'ERR_ARGUMENT' });
      await assert.rejects(script.evalshaWithReload(redis.client, ['a', 'b', 'c']), { code: 'ERR_ARGUMENT' });
    });
    assert.equal(calls.get('evalsha'), undefined);
    assert.equal(calls.get('eval'), undefined);
    assert.equal(await script.evalsha(redis.client, ['a', 'b']), 2);
  });

  test('evalshaWithReload loads the script again after SCRIPT FLUSH', async () => {
    const script = incrScript('flush');
    const key = uniqueKey();
    assert.equal(await script.evalshaWithReload(redis.client, [key]), 1);
    await redis.client.scriptFlush();
    assert.equal(await redis.client.scriptExists(script.sha1), false);
    assert.equal(await script.evalshaWithReload(redis.client, [key]), 2);
    assert.equal(await redis.client.scriptExists(script.sha1), true);
  });

  test('evalshaWithReload loads a script the server never had', async () => {
    const script = incrScript('never');
    assert.equal(await script.evalshaWithReload(redis.client, [uniqueKey()]), 1);
    assert.equal(await redis.client.scriptExists(script.sha1), true);
  });

  test('plain evalsha after SCRIPT FLUSH rejects with NOSCRIPT and loads nothing', async () => {
    const script = incrScript('plain');
    const key = uniqueKey();
    await script.load(redis.client);
    await redis.client.scriptFlush();
    await assert.rejects(script.evalsha(redis.client, [key]), noscript);
    await assert.rejects(redis.client.evalsha(script.sha1, [key]), noscript);
    assert.equal(await redis.client.scriptExists(script.sha1), false);
    assert.equal(await redis.client.call('EXISTS', key), 0);
  });

  test('a fromHash script cannot be reloaded: evalshaWithReload rejects with NOSCRIPT', async () => {
    const source = incrScript('hash-only');
    const script = Script.fromHash(source.sha1);
    await assert.rejects(script.evalshaWithReload(redis.client, [uniqueKey()]), noscript);
    assert.equal(await redis.client.scriptExists(source.sha1), false);
    await source.load(redis.client);
    assert.equal(await script.evalshaWithReload(redis.client, [uniqueKey()]), 1);
  });

  test('a fromHash script in a pipeline fails with NOSCRIPT in its own entry only', async () => {
    const script = Script.fromHash(sha1(`return '${uniqueKey()}'`));
    const pipe = redis.client.pipeline();
    script.evalsha(pipe);
    pipe.call('PING');
    const [missing, pong] = await pipe.exec();
    assert.ok(missing instanceof ReplyError);
    assert.equal(missing.code, 'NOSCRIPT');
    assert.equal(pong, 'PONG');
  });

  test('500 concurrent evalshaWithReload calls after a flush share one SCRIPT LOAD and all succeed', async () => {
    const client = await redis.newClient();
    const script = Script.fromLua<{ keys: []; args: [number]; reply: number }>(
      `-- ${uniqueKey()}\nreturn tonumber(ARGV[1]) * 2`,
    );
    assert.equal(await script.evalshaWithReload(client, [], [1]), 2);
    await client.scriptFlush();
    const calls = await countCalls(client, async () => {
      const replies = await Promise.all(
        Array.from({ length: 500 }, (_, i) => script.evalshaWithReload(client, [], [i])),
      );
      assert.deepEqual(
        replies,
        Array.from({ length: 500 }, (_, i) => i * 2),
      );
    });
    assert.equal(calls.get('script|load'), 1);
  });

  test('scripts in a pipeline run in the queued order on a server that never had them', async () => {
    const script = incrScript('pipeline-new');
    const key = uniqueKey();
    const pipe = redis.client.pipeline();
    script.evalsha(pipe, [key]);
    pipe.call('SET', key, 100);
    script.evalshaWithReload(pipe, [key]);
    assert.deepEqual(await pipe.exec(), [1, 'OK', 101]);
    assert.equal(await redis.client.call('GET', key), '101');
  });

  test('scripts in a pipeline run in the queued order after this client flushed them', async () => {
    const script = incrScript('pipeline-own-flush');
    const warmUp = redis.client.pipeline();
    script.evalsha(warmUp, [uniqueKey()]);
    assert.deepEqual(await warmUp.exec(), [1]);
    await redis.client.scriptFlush();

    const key = uniqueKey();
    const pipe = redis.client.pipeline();
    script.evalsha(pipe, [key]);
    pipe.call('SET', key, 100);
    script.evalsha(pipe, [key]);
    assert.deepEqual(await pipe.exec(), [1, 'OK', 101]);
    assert.equal(await redis.client.call('GET', key), '101');
  });

  // Another client's SCRIPT FLUSH is invisible until the server answers NOSCRIPT (see
  // docs/semantics.md): pipeline calls are healed — loaded and sent once more, after the
  // commands queued behind them — without sending the body with every batch.
  test('scripts in a pipeline still succeed after another client flushed them', async () => {
    const other = await redis.newClient();
    const script = incrScript('pipeline-other-flush');
    const warmUp = redis.client.pipeline();
    script.evalsha(warmUp, [uniqueKey()]);
    assert.deepEqual(await warmUp.exec(), [1]);
    await other.scriptFlush();

    const key = uniqueKey();
    const pipe = redis.client.pipeline();
    script.evalsha(pipe, [key]);
    pipe.call('SET', key, 100);
    script.evalsha(pipe, [key]);
    assert.deepEqual(await pipe.exec(), [101, 'OK', 102]);
    assert.equal(await redis.client.call('GET', key), '102');
    assert.equal(await other.scriptExists(script.sha1), true);
  });

  test('scripts in a transaction run in the queued order on a server that never had them', async () => {
    const script = incrScript('multi-new');
    const key = uniqueKey();
    const multi = redis.client.multi();
    script.evalsha(multi, [key]);
    multi.call('SET', key, 100);
    script.evalshaWithReload(multi, [key]);
    assert.deepEqual(await multi.exec(), [1, 'OK', 101]);
    assert.equal(await redis.client.call('GET', key), '101');
  });

  test('scripts in a transaction run in the queued order after this client flushed them', async () => {
    const script = incrScript('multi-own-flush');
    const warmUp = redis.client.multi();
    script.evalsha(warmUp, [uniqueKey()]);
    assert.deepEqual(await warmUp.exec(), [1]);
    await redis.client.scriptFlush();

    const key = uniqueKey();
    const multi = redis.client.multi();
    script.evalsha(multi, [key]);
    multi.call('SET', key, 100);
    script.evalsha(multi, [key]);
    assert.deepEqual(await multi.exec(), [1, 'OK', 101]);
    assert.equal(await redis.client.call('GET', key), '101');
  });

  // In a transaction a NOSCRIPT cannot be healed (the rest has run): those calls fail, the
  // client forgets the script, and the next transaction loads it first.
  test('a transaction after another client flushed its script fails those calls, then recovers', async () => {
    const other = await redis.newClient();
    const script = incrScript('multi-other-flush');
    const warmUp = redis.client.multi();
    script.evalsha(warmUp, [uniqueKey()]);
    assert.deepEqual(await warmUp.exec(), [1]);
    await other.scriptFlush();

    const key = uniqueKey();
    const multi = redis.client.multi();
    const failed = script.evalsha(multi, [key]);
    multi.call('SET', key, 100);
    const results = await multi.exec();
    assert.equal((results[0] as ReplyError).code, 'NOSCRIPT');
    assert.equal(results[1], 'OK');
    await assert.rejects(failed, { code: 'NOSCRIPT' });

    const next = redis.client.multi();
    script.evalsha(next, [key]);
    assert.deepEqual(await next.exec(), [101]);
  });

  test('a transaction discarded with EXECABORT leaves its script unloaded and not believed loaded', async () => {
    const script = incrScript('execabort');
    const key = uniqueKey();
    const multi = redis.client.multi();
    const scriptResult = script.evalsha(multi, [key]);
    const refused = multi.call('SET', 'onlyonearg');
    await assert.rejects(multi.exec(), (error: unknown) => {
      assert.ok(error instanceof ExecAbortError);
      assert.equal(error.code, 'EXECABORT');
      assert.deepEqual([...error.errors.keys()], [1]);
      assert.match(error.errors.get(1)!.message, /wrong number of arguments/);
      return true;
    });
    await assert.rejects(scriptResult, { code: 'EXECABORT' });
    await assert.rejects(refused, { code: 'ERR' });

    // Nothing ran: the script really is not on the server...
    assert.equal(await redis.client.scriptExists(script.sha1), false);
    await assert.rejects(redis.client.evalsha(script.sha1, [key]), noscript);
    assert.equal(await redis.client.call('EXISTS', key), 0);
    // ...and the client does not believe it is: the next transaction loads it again.
    const next = redis.client.multi();
    script.evalsha(next, [key]);
    assert.deepEqual(await next.exec(), [1]);
  });

  test('evalshaWithReload works again after the server restarted and lost its scripts', async () => {
    const client = await redis.newClient();
    const script = incrScript('restart');
    assert.equal(await script.evalshaWithReload(client, [uniqueKey()]), 1);
    assert.equal(await script.evalshaWithReload(redis.client, [uniqueKey()]), 1);
    await redis.server.restart();
    // Issued at once: queued while the client reconnects, then NOSCRIPT -> load -> retry.
    assert.equal(await client.withOptions({ timeout: 10_000 }).scriptExists(script.sha1), false);
    assert.equal(await script.evalshaWithReload(client.withOptions({ timeout: 10_000 }), [uniqueKey()]), 1);
    assert.equal(client.status, 'ready');
    // A transaction and a pipeline on the main client, which had run the script before the restart.
    const multiKey = uniqueKey();
    const multi = redis.client.withOptions({ timeout: 10_000 }).multi();
    script.evalsha(multi, [multiKey]);
    multi.call('SET', multiKey, 100);
    script.evalsha(multi, [multiKey]);
    assert.deepEqual(await multi.exec(), [1, 'OK', 101]);
    const pipeKey = uniqueKey();
    const pipe = redis.client.pipeline();
    script.evalsha(pipe, [pipeKey]);
    pipe.call('SET', pipeKey, 100);
    script.evalsha(pipe, [pipeKey]);
    assert.deepEqual(await pipe.exec(), [1, 'OK', 101]);
  });
});
