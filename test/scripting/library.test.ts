import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ArgumentError,
  type Client,
  Library,
  type RedisArg,
  RedisFunction,
  ReplyError,
  Script,
  sha1,
} from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

// Library and RedisFunction, and the refusals that keep bad input (no library name, malformed
// sha1s, undefined keys) from ever reaching the server.

/** Every counter of INFO commandstats (calls, rejected and failed), for "nothing was sent". */
async function commandCounters(client: Client): Promise<Map<string, string>> {
  const info = String(await client.call('INFO', 'commandstats'));
  const counters = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const match = /^cmdstat_([^:]+):(.*)$/.exec(line);
    // usec changes with every call of anything; the counts are what say whether it ran.
    if (match !== null) counters.set(match[1], match[2].replace(/usec(_per_call)?=[\d.]+,?/g, ''));
  }
  counters.delete('info');
  return counters;
}

/** Runs `body` and asserts that no command reached the server meanwhile (INFO aside). */
async function assertNothingSent(client: Client, body: () => Promise<void>): Promise<void> {
  const before = await commandCounters(client);
  await body();
  assert.deepEqual(await commandCounters(client), before);
}

function argumentError(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ArgumentError, `expected an ArgumentError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_ARGUMENT');
    assert.equal(error.mayHaveRun, false);
    assert.match(error.message, pattern);
    return true;
  };
}

const counterLua = `#!lua name=counterlib
local function incr(keys, args)
  return redis.call('INCRBY', keys[1], args[1] or 1)
end
local function peek(keys, args)
  return tonumber(redis.call('GET', keys[1]) or '0')
end
redis.register_function('counter_incr', incr)
redis.register_function{
  function_name = 'counter_peek',
  callback = peek,
  flags = { 'no-writes' },
  description = 'reads the counter',
}
`;

forEachProtocol((redis) => {
  test('Library.fromCode loads the library and describes its functions and flags', async () => {
    const lib = await Library.fromCode(redis.client, counterLua);
    assert.equal(lib.name, 'counterlib');
    assert.equal(lib.code, counterLua);
    assert.deepEqual([...lib.functions.keys()].sort(), ['counter_incr', 'counter_peek']);

    const incr = lib.functions.get('counter_incr')!;
    assert.ok(incr instanceof RedisFunction);
    assert.equal(incr.name, 'counter_incr');
    assert.equal(incr.libraryName, 'counterlib');
    assert.deepEqual(incr.flags, []);
    assert.equal(incr.readOnly, false);
    assert.equal(incr.description, null);

    const peek = lib.functions.get('counter_peek')!;
    assert.deepEqual(peek.flags, ['no-writes']);
    assert.equal(peek.readOnly, true);
    assert.equal(peek.description, 'reads the counter');

    const key = uniqueKey('counter');
    assert.equal(await incr.fcall(redis.client, [key], [5]), 5);
    assert.equal(await incr.fcall(redis.client, [key]), 6);
    assert.equal(await peek.fcallRo(redis.client, [key]), 6);
  });

  test('Library.fromCode replaces a library already loaded under the same name', async () => {
    await Library.fromCode(redis.client, counterLua);
    const changed = counterLua.replace('args[1] or 1', 'args[1] or 10');
    const lib = await Library.fromCode(redis.client, changed);
    const key = uniqueKey('counter');
    assert.equal(await lib.functions.get('counter_incr')!.fcall(redis.client, [key]), 10);
    const [listed] = await redis.client.functionList({ libraryName: 'counterlib', withCode: true });
    assert.equal(listed.libraryCode, changed);
  });

  test('Library.fromCode refuses code without a "#!lua name=" line before sending', async () => {
    await assertNothingSent(redis.client, async () => {
      await assert.rejects(
        Library.fromCode(redis.client, "redis.register_function('f', function() return 1 end)"),
        argumentError(/#!lua name=<library>/),
      );
      await assert.rejects(
        Library.fromCode(redis.client, "#!lua\nredis.register_function('f', function() return 1 end)"),
        argumentError(/#!lua name=<library>/),
      );
      await assert.rejects(
        Library.fromCode(redis.client, "#!lua name=\nredis.register_function('f', function() return 1 end)"),
        argumentError(/#!lua name=<library>/),
      );
      await assert.rejects(
        Library.fromCode(redis.client, undefined as unknown as string),
        argumentError(/string/),
      );
    });
    assert.equal(await redis.client.call('PING'), 'PONG');
  });

  test('a Lua syntax error in a library reports the line the server names', async () => {
    const broken = '#!lua name=brokenlib\nlocal x = 1\nlocal y = = 2\n';
    await assert.rejects(Library.fromCode(redis.client, broken), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'ERR');
      assert.equal(error.command, 'FUNCTION LOAD');
      assert.match(error.message, /Error compiling function/);
      assert.match(error.message, /user_function:3:/);
      return true;
    });
    await assert.rejects(Library.fromName(redis.client, 'brokenlib'), { code: 'NO_SUCH_LIBRARY' });
  });

  test('a Lua syntax error in EVAL reports the line the server names', async () => {
    await assert.rejects(
      redis.client.eval('local x = 1\nlocal y = 2\nlocal z = = 3\nreturn z'),
      (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.code, 'ERR');
        assert.equal(error.command, 'EVAL');
        assert.match(error.message, /Error compiling script/);
        assert.match(error.message, /user_script:3:/);
        return true;
      },
    );
  });

  test('a Lua runtime error reports the line where it happened', async () => {
    await assert.rejects(
      redis.client.eval("local x = 1\nreturn redis.call('NOSUCHCOMMAND')"),
      (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.match(error.message, /Unknown Redis command called from script/);
        assert.match(error.message, /user_script:2\b/);
        return true;
      },
    );
  });

  test('a well-formed sha1 the server does not know fails with NOSCRIPT', async () => {
    const unknown = sha1(`return '${uniqueKey()}'`);
    for (const call of [
      () => redis.client.evalsha(unknown),
      () => redis.client.evalshaRo(unknown, ['k'], ['a']),
      () => redis.client.evalsha(unknown.toUpperCase()),
      () => Script.fromHash(unknown).evalsha(redis.client),
    ]) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.code, 'NOSCRIPT');
        assert.equal(error.mayHaveRun, false);
        return true;
      });
    }
  });

  test('a sha1 that is not 40 hex digits is refused with its value named, and nothing is sent', async () => {
    const valid = sha1('return 1');
    const bad = ['xyz', valid.slice(0, 39), `${valid}0`, `${valid.slice(0, 39)}g`, ''];
    await assertNothingSent(redis.client, async () => {
      for (const sha of bad) {
        const named = new RegExp(`"${sha}" is not a SHA1 digest`);
        await assert.rejects(redis.client.evalsha(sha), argumentError(named));
        await assert.rejects(redis.client.evalshaRo(sha, ['k']), argumentError(named));
        await assert.rejects(redis.client.scriptExists(sha), argumentError(named));
        await assert.rejects(redis.client.scriptExists([valid, sha]), argumentError(named));
        assert.throws(() => Script.fromHash(sha), argumentError(named));
      }
      await assert.rejects(redis.client.evalsha(42 as unknown as string), argumentError(/not a SHA1 digest/));
    });
    assert.equal(await redis.client.call('PING'), 'PONG');
  });

  test('keys and args that cannot be sent are refused before sending, naming their position', async () => {
    await redis.client.functionLoad(
      "#!lua name=argcheck\nredis.register_function('argcheck_fn', function(keys, args) return #keys + #args end)",
      { replace: true },
    );
    const script = Script.fromLua('return #KEYS + #ARGV');
    const fn = (await Library.fromName(redis.client, 'argcheck')).functions.get('argcheck_fn')!;
    const unsendable: Array<[unknown, RegExp]> = [
      [undefined, /undefined/],
      [null, /null/],
      [{ a: 1 }, /an object/],
      [Number.NaN, /NaN/],
      [['nested'], /an array/],
      [true, /a boolean/],
    ];
    await assertNothingSent(redis.client, async () => {
      for (const [value, described] of unsendable) {
        const keys = ['ok', value] as RedisArg[];
        const args = [value] as RedisArg[];
        const calls: Array<[() => Promise<unknown>, string]> = [
          [() => redis.client.eval('return 1', keys), 'keys\\[1\\]'],
          [() => redis.client.eval('return 1', [], args), 'args\\[0\\]'],
          [() => redis.client.evalsha(script.sha1, keys), 'keys\\[1\\]'],
          [() => redis.client.fcall('argcheck_fn', ['k'], args), 'args\\[0\\]'],
          [() => redis.client.fcallRo('argcheck_fn', keys), 'keys\\[1\\]'],
          [() => script.evalshaWithReload(redis.client, keys), 'keys\\[1\\]'],
          [() => script.eval(redis.client, [], args), 'args\\[0\\]'],
          [() => fn.fcall(redis.client, keys), 'keys\\[1\\]'],
          [() => fn.fcall(redis.client, [], args), 'args\\[0\\]'],
        ];
        for (const [call, position] of calls) {
          await assert.rejects(call(), argumentError(new RegExp(`${position} is ${described.source}`)));
        }
      }
    });
    assert.equal(await fn.fcall(redis.client, ['k', Buffer.from('b')], [1, 2n]), 4);
  });

  test('a refused argument of call() in a pipeline refuses the whole pipeline before sending', async () => {
    await assertNothingSent(redis.client, async () => {
      const pipe = redis.client.pipeline();
      const ping = pipe.call('PING');
      pipe.call('SET', uniqueKey(), undefined as unknown as string);
      await assert.rejects(pipe.exec(), argumentError(/argument 2 is undefined/));
      await assert.rejects(ping, argumentError(/not sent/));
    });
  });

  test('a refused key of a script or function in a pipeline refuses the whole pipeline too', async () => {
    // Otherwise exec() would answer one entry fewer than the calls queued, shifting every index.
    const script = Script.fromLua('return #KEYS');
    const fn = new RedisFunction('no_such_fn', 'nolib', []);
    const queueRefused: Array<(pipe: ReturnType<Client['pipeline']>) => Promise<unknown>> = [
      (pipe) => script.evalsha(pipe, ['k', undefined as unknown as string]),
      (pipe) => fn.fcall(pipe, [], [null as unknown as string]),
      (pipe) => pipe.eval('return 1', [{} as unknown as string]),
    ];
    for (const queue of queueRefused) {
      await assertNothingSent(redis.client, async () => {
        const pipe = redis.client.pipeline();
        const ping = pipe.call('PING');
        await assert.rejects(queue(pipe), { code: 'ERR_ARGUMENT' });
        pipe.call('ECHO', 'after');
        await assert.rejects(pipe.exec(), { code: 'ERR_ARGUMENT' });
        await assert.rejects(ping, argumentError(/not sent/));
      });
    }
  });

  test('RedisFunction.fcall and fcallRo run in a pipeline', async () => {
    const lib = await Library.fromCode(redis.client, counterLua);
    const incr = lib.functions.get('counter_incr')!;
    const peek = lib.functions.get('counter_peek')!;
    const key = uniqueKey('counter');
    const pipe = redis.client.pipeline();
    const first = incr.fcall(pipe, [key], [2]);
    peek.fcallRo(pipe, [key]);
    incr.fcall(pipe, [key], [3]);
    pipe.call('GET', key);
    assert.deepEqual(await pipe.exec(), [2, 2, 5, '5']);
    assert.equal(await first, 2);
  });

  test('RedisFunction.fcall and fcallRo run in a transaction', async () => {
    const lib = await Library.fromCode(redis.client, counterLua);
    const incr = lib.functions.get('counter_incr')!;
    const peek = lib.functions.get('counter_peek')!;
    const key = uniqueKey('counter');
    const multi = redis.client.multi();
    incr.fcall(multi, [key], [2]);
    const read = peek.fcallRo(multi, [key]);
    incr.fcall(multi, [key], [3]);
    multi.call('GET', key);
    assert.deepEqual(await multi.exec(), [2, 2, 5, '5']);
    assert.equal(await read, 2);
  });

  test('a function error inside a transaction fails only its own entry', async () => {
    const lib = await Library.fromCode(redis.client, counterLua);
    const incr = lib.functions.get('counter_incr')!;
    const key = uniqueKey('counter');
    const multi = redis.client.multi();
    incr.fcall(multi, [key], [1]);
    incr.fcall(multi, [key], ['not a number']);
    incr.fcall(multi, [key], [1]);
    const [one, failed, two] = await multi.exec();
    assert.equal(one, 1);
    assert.ok(failed instanceof ReplyError);
    assert.match(failed.message, /not an integer/);
    assert.equal(two, 2);
  });

  test('fcallRo of a function without no-writes is refused by the server', async () => {
    const lib = await Library.fromCode(redis.client, counterLua);
    const incr = lib.functions.get('counter_incr')!;
    const key = uniqueKey('counter');
    await assert.rejects(incr.fcallRo(redis.client, [key], [1]), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'ERR');
      assert.equal(error.command, 'FCALL_RO');
      assert.match(error.message, /Can not execute a script with write flag using \*_ro command/);
      return true;
    });
    await assert.rejects(redis.client.fcallRo('counter_incr', [key]), { code: 'ERR' });
    assert.equal(await redis.client.call('EXISTS', key), 0);
  });

  test('Library.fromName reads a library loaded by another client', async () => {
    const other = await redis.newClient();
    await other.functionLoad(counterLua, { replace: true });
    const lib = await Library.fromName(redis.client, 'counterlib');
    assert.equal(lib.name, 'counterlib');
    assert.deepEqual([...lib.functions.keys()].sort(), ['counter_incr', 'counter_peek']);
    assert.equal(lib.functions.get('counter_peek')!.readOnly, true);
  });

  test('Library.fromName gives the library code as the server lists it', async () => {
    await redis.client.functionLoad(counterLua, { replace: true });
    const lib = await Library.fromName(redis.client, 'counterlib');
    assert.equal(lib.code, counterLua);
  });
});
