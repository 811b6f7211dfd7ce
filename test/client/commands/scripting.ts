import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Client, type Cluster, Library, RedisError, ReplyError, sha1 } from '../../../src/index.js';
import type { Target } from '../../targets.js';

/** A ReplyError with `code` whose message matches `message`, for `assert.rejects`. */
function replyError(code: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ReplyError, `expected a ReplyError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  };
}

/** A one-function library whose function `name` returns `value`. */
function libraryCode(library: string, name: string, value: number | string): string {
  return `#!lua name=${library}\nredis.register_function('${name}', function(keys, args) return ${JSON.stringify(value)} end)\n`;
}

async function loadedLibraries(client: Client | Cluster): Promise<string[]> {
  return (await client.functionList()).map((library) => library.libraryName).sort();
}

/** The scripting and Redis Functions commands, on `target`. */
export function scriptingTests(target: Target): void {
  test('sha1 equals the digest the server reports for SCRIPT LOAD, also for a UTF-8 script', async () => {
    for (const lua of ["return 'plain ascii'", "return 'héllo wörld ✓ 雪 🌙'"]) {
      const local = sha1(lua);
      assert.match(local, /^[0-9a-f]{40}$/);
      assert.equal(await target.client.scriptLoad(lua), local);
      assert.equal(await target.client.evalsha(local), lua.slice(8, -1));
    }
  });

  test('scriptExists answers a boolean for one sha and an array of booleans for several', async () => {
    const loaded = "return 'exists'";
    const missing = "return 'never loaded'";
    await target.client.scriptLoad(loaded);
    const one = await target.client.scriptExists(sha1(loaded));
    assert.equal(one, true);
    assert.equal(await target.client.scriptExists(sha1(missing)), false);
    const many = await target.client.scriptExists([sha1(loaded), sha1(missing), sha1(loaded)]);
    assert.deepEqual(many, [true, false, true]);
  });

  test('scriptExists refuses an empty list before sending, as the server would with an arity error', async () => {
    // SCRIPT EXISTS needs at least one sha; sent as is, the server answers "wrong number of arguments".
    await assert.rejects(target.client.scriptExists([]), { name: 'ArgumentError', code: 'ERR_ARGUMENT' });
    assert.equal(await target.client.call('PING'), 'PONG');
  });

  for (const mode of ['SYNC', 'ASYNC'] as const) {
    test(`scriptFlush ${mode} drops every cached script`, async () => {
      const lua = `return '${mode}'`;
      await target.client.scriptLoad(lua);
      assert.equal(await target.client.scriptExists(sha1(lua)), true);
      assert.equal(await target.client.scriptFlush(mode), 'OK');
      assert.equal(await target.client.scriptExists(sha1(lua)), false);
    });
  }

  test('scriptFlush without a mode drops every cached script', async () => {
    const lua = "return 'default mode'";
    await target.client.scriptLoad(lua);
    assert.equal(await target.client.scriptFlush(), 'OK');
    assert.equal(await target.client.scriptExists(sha1(lua)), false);
  });

  test('scriptFlush refuses an unknown mode before sending', async () => {
    await assert.rejects(target.client.scriptFlush('LATER' as 'SYNC'), { code: 'ERR_ARGUMENT' });
  });

  test('eval, evalsha, evalRo and evalshaRo run with keys and args left out', async () => {
    const lua = "return {#KEYS, #ARGV, 'ran'}";
    const hash = await target.client.scriptLoad(lua);
    assert.deepEqual(await target.client.eval(lua), [0, 0, 'ran']);
    assert.deepEqual(await target.client.evalRo(lua), [0, 0, 'ran']);
    assert.deepEqual(await target.client.evalsha(hash), [0, 0, 'ran']);
    assert.deepEqual(await target.client.evalshaRo(hash), [0, 0, 'ran']);
    assert.deepEqual(await target.client.eval(lua, ['k']), [1, 0, 'ran']);
    assert.deepEqual(await target.client.evalshaRo(hash, ['k']), [1, 0, 'ran']);
    assert.deepEqual(await target.client.evalsha(hash, [], ['a', 'b']), [0, 2, 'ran']);
  });

  test('keys and args accept strings, Buffers, numbers and bigints', async () => {
    const [text, binary] = target.sameSlot(2);
    const reply = await target.client.eval(
      'return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]}',
      [text, Buffer.from(binary)],
      [1.5, -7, 12345678901234567890n],
    );
    assert.deepEqual(reply, [text, binary, '1.5', '-7', '12345678901234567890']);
  });

  test('Lua numbers are truncated towards zero to integers', async () => {
    assert.equal(await target.client.eval('return 3.99'), 3);
    assert.equal(await target.client.eval('return -3.99'), -3);
    assert.deepEqual(await target.client.eval('return {1.5, 2.7, 0.2}'), [1, 2, 0]);
  });

  test('Lua false becomes null and true becomes 1', async () => {
    assert.equal(await target.client.eval('return false'), null);
    assert.equal(await target.client.eval('return true'), 1);
    assert.equal(await target.client.eval('return nil'), null);
  });

  test('a Lua table stops at its first nil', async () => {
    assert.deepEqual(await target.client.eval("return {1, 'two', nil, 'four'}"), [1, 'two']);
    assert.deepEqual(await target.client.eval("return {nil, 'two'}"), []);
    assert.deepEqual(await target.client.eval("return {1, {2, {3, 'deep'}}, false, 'after'}"), [
      1,
      [2, [3, 'deep']],
      null,
      'after',
    ]);
  });

  test('a {ok=...} table and redis.status_reply become a status string', async () => {
    assert.equal(await target.client.eval("return {ok='fine'}"), 'fine');
    assert.equal(await target.client.eval("return redis.status_reply('PONG')"), 'PONG');
  });

  test('a {err=...} table becomes a ReplyError whose code is the first word of the message', async () => {
    await assert.rejects(target.client.eval("return {err='My error'}"), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.ok(error instanceof RedisError);
      // "My" is not an error code (not an upper-case word), so the code is the generic ERR.
      assert.equal(error.code, 'ERR');
      assert.equal(error.message, 'My error');
      assert.equal(error.command, 'EVAL');
      return true;
    });
    await assert.rejects(
      target.client.eval("return {err='MYCODE it went wrong'}"),
      replyError('MYCODE', /^MYCODE it went wrong$/),
    );
  });

  test('redis.error_reply becomes a ReplyError with the code it names', async () => {
    await assert.rejects(
      target.client.eval("return redis.error_reply('My error')"),
      replyError('ERR', /^My error$/),
    );
    await assert.rejects(
      target.client.eval("return redis.error_reply('LIMIT too many')"),
      replyError('LIMIT', /^LIMIT too many$/),
    );
  });

  test('an error inside a pipeline of scripts fails only its own entry', async () => {
    const pipe = target.client.pipeline();
    pipe.eval('return 1');
    pipe.eval("return {err='BAD entry'}");
    pipe.eval('return 3');
    const [first, second, third] = await pipe.exec();
    assert.equal(first, 1);
    assert.ok(second instanceof ReplyError);
    assert.equal(second.code, 'BAD');
    assert.equal(third, 3);
  });

  test('integers beyond the safe range come back as exact bigints', async () => {
    // Lua numbers are doubles: 2^62 and -(2^53 + 2) are exact in a double, but not safe JS integers.
    assert.equal(
      await target.client.eval('return tonumber(ARGV[1])', [], ['4611686018427387904']),
      4611686018427387904n,
    );
    assert.equal(
      await target.client.eval('return tonumber(ARGV[1])', [], ['-9007199254740994']),
      -9007199254740994n,
    );
    assert.equal(
      await target.client.eval('return tonumber(ARGV[1])', [], ['9007199254740991']),
      9007199254740991,
    );
    // The same integer straight from the server (no Lua double in between) is exact to the unit.
    const key = target.uniqueKey('big');
    assert.equal(await target.client.call('INCRBY', key, 9007199254740993n), 9007199254740993n);
  });

  test('an integer passed through redis.call inside Lua is a double, so the script sees it rounded', async () => {
    // A Redis behaviour worth knowing: redis.call converts integer replies to Lua numbers (doubles).
    const key = target.uniqueKey('big');
    const reply = await target.client.eval(
      "return redis.call('INCRBY', KEYS[1], ARGV[1])",
      [key],
      [9007199254740993n],
    );
    assert.equal(typeof reply, 'bigint');
    assert.equal(reply, 9007199254740992n);
    assert.equal(await target.client.call('GET', key), '9007199254740993');
  });

  test('evalRo refuses a script that writes, and nothing is written', async () => {
    const key = target.uniqueKey('ro');
    await assert.rejects(
      target.client.evalRo("return redis.call('SET', KEYS[1], 'x')", [key]),
      (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.code, 'ERR');
        assert.match(error.message, /Write commands are not allowed from read-only scripts/);
        assert.equal(error.command, 'EVAL_RO');
        return true;
      },
    );
    const hash = await target.client.scriptLoad("return redis.call('SET', KEYS[1], 'x')");
    await assert.rejects(target.client.evalshaRo(hash, [key]), replyError('ERR', /read-only scripts/));
    assert.equal(await target.client.call('EXISTS', key), 0);
  });

  test('fcall and fcallRo call a loaded function with keys and args', async () => {
    await target.client.functionLoad(
      `#!lua name=calls
redis.register_function{function_name='calls_echo', callback=function(keys, args) return {keys[1], args[1], #keys, #args} end, flags={'no-writes'}}
redis.register_function('calls_count', function(keys, args) return {#keys, #args} end)
redis.register_function('calls_set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
`,
      { replace: true },
    );
    assert.deepEqual(await target.client.fcall('calls_echo', ['k'], ['a']), ['k', 'a', 1, 1]);
    assert.deepEqual(await target.client.fcallRo('calls_echo', ['k'], ['a']), ['k', 'a', 1, 1]);
    assert.deepEqual(await target.client.fcall('calls_count'), [0, 0]);
    assert.deepEqual(await target.client.fcallRo('calls_echo', ['k']), ['k']);
    const key = target.uniqueKey('fcall');
    assert.equal(await target.client.fcall('calls_set', [key], ['v']), 'OK');
    assert.equal(await target.client.call('GET', key), 'v');
    await assert.rejects(target.client.fcall('no_such_function'), replyError('ERR', /Function not found/));
  });

  test('functionLoad resolves the library name; an existing library needs replace', async () => {
    await target.client.functionFlush();
    assert.equal(await target.client.functionLoad(libraryCode('loadlib', 'load_version', 1)), 'loadlib');
    assert.equal(await target.client.fcall('load_version'), 1);
    await assert.rejects(
      target.client.functionLoad(libraryCode('loadlib', 'load_version', 2), { replace: false }),
      replyError('ERR', /Library 'loadlib' already exists/),
    );
    assert.equal(await target.client.fcall('load_version'), 1);
    assert.equal(
      await target.client.functionLoad(libraryCode('loadlib', 'load_version', 2), { replace: true }),
      'loadlib',
    );
    assert.equal(await target.client.fcall('load_version'), 2);
  });

  test('functionList gives the same shape on RESP2 and RESP3, with the code when asked', async () => {
    await target.client.functionFlush();
    const code = `#!lua name=shape
redis.register_function{function_name='shape_read', callback=function() return 1 end, flags={'no-writes'}, description='reads'}
redis.register_function('shape_write', function() return 2 end)
`;
    await target.client.functionLoad(code);
    const expected = {
      libraryName: 'shape',
      engine: 'LUA',
      functions: [
        { name: 'shape_read', description: 'reads', flags: ['no-writes'] },
        { name: 'shape_write', description: null, flags: [] },
      ],
    };
    const listed = await target.client.functionList();
    listed[0].functions.sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(listed, [expected]);
    assert.equal(Object.hasOwn(listed[0], 'libraryCode'), false);

    const withCode = await target.client.functionList({ withCode: true });
    withCode[0].functions.sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(withCode, [{ ...expected, libraryCode: code }]);
  });

  test('functionList takes libraryName as a pattern, Library.fromName picks the exact name', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(libraryCode('lib', 'lib_fn', 1));
    await target.client.functionLoad(libraryCode('lib2', 'lib2_fn', 2));
    await target.client.functionLoad(libraryCode('other', 'other_fn', 3));

    const matched = await target.client.functionList({ libraryName: 'lib*' });
    assert.deepEqual(matched.map((library) => library.libraryName).sort(), ['lib', 'lib2']);

    const lib = await Library.fromName(target.client, 'lib');
    assert.equal(lib.name, 'lib');
    assert.deepEqual([...lib.functions.keys()], ['lib_fn']);
    const lib2 = await Library.fromName(target.client, 'lib2');
    assert.deepEqual([...lib2.functions.keys()], ['lib2_fn']);
    // A pattern is not a library name: nothing is named 'lib*'.
    await assert.rejects(Library.fromName(target.client, 'lib*'), { code: 'NO_SUCH_LIBRARY' });
    await assert.rejects(Library.fromName(target.client, 'absent'), (error: unknown) => {
      assert.ok(error instanceof RedisError);
      assert.equal(error.code, 'NO_SUCH_LIBRARY');
      return true;
    });
  });

  test('functionDelete removes one library and its functions', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(libraryCode('keep', 'keep_fn', 1));
    await target.client.functionLoad(libraryCode('drop', 'drop_fn', 2));
    assert.equal(await target.client.functionDelete('drop'), 'OK');
    assert.deepEqual(await loadedLibraries(target.client), ['keep']);
    await assert.rejects(target.client.fcall('drop_fn'), replyError('ERR', /Function not found/));
    await assert.rejects(target.client.functionDelete('drop'), replyError('ERR', /Library not found/));
    assert.equal(await target.client.fcall('keep_fn'), 1);
  });

  test('functionFlush removes every library', async () => {
    await target.client.functionLoad(libraryCode('flushme', 'flushme_fn', 1), { replace: true });
    assert.notDeepEqual(await loadedLibraries(target.client), []);
    assert.equal(await target.client.functionFlush(), 'OK');
    assert.deepEqual(await target.client.functionList(), []);
    await target.client.functionLoad(libraryCode('flushme', 'flushme_fn', 1));
    assert.equal(await target.client.functionFlush('ASYNC'), 'OK');
    assert.deepEqual(await target.client.functionList(), []);
  });

  test('functionDump returns a Buffer even when strings are decoded as text', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(libraryCode('dumped', 'dumped_fn', 1));
    const dump = await target.client.functionDump();
    assert.ok(Buffer.isBuffer(dump));
    assert.ok(dump.length > 0);
    // A RDB payload ends with its version and a CRC64 that UTF-8 decoding would mangle.
    const again = await target.client.functionDump();
    assert.ok(dump.equals(again));
  });

  test('DUMP, FLUSH, RESTORE brings the libraries back (default policy APPEND)', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(libraryCode('saved', 'saved_fn', 1));
    const dump = await target.client.functionDump();
    await target.client.functionFlush();
    assert.deepEqual(await target.client.functionList(), []);
    assert.equal(await target.client.functionRestore(dump), 'OK');
    assert.deepEqual(await loadedLibraries(target.client), ['saved']);
    assert.equal(await target.client.fcall('saved_fn'), 1);
  });

  test('functionRestore APPEND refuses a library of the same name and changes nothing', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(libraryCode('saved', 'saved_fn', 1));
    const dump = await target.client.functionDump();
    await target.client.functionLoad(libraryCode('saved', 'saved_fn', 2), { replace: true });
    await target.client.functionLoad(libraryCode('extra', 'extra_fn', 3));
    await assert.rejects(target.client.functionRestore(dump, 'APPEND'), replyError('ERR', /already exists/));
    assert.equal(await target.client.fcall('saved_fn'), 2);
    assert.deepEqual(await loadedLibraries(target.client), ['extra', 'saved']);

    await target.client.functionDelete('saved');
    assert.equal(await target.client.functionRestore(dump, 'APPEND'), 'OK');
    assert.equal(await target.client.fcall('saved_fn'), 1);
    assert.deepEqual(await loadedLibraries(target.client), ['extra', 'saved']);
  });

  test('functionRestore REPLACE replaces same-name libraries and keeps the others', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(libraryCode('saved', 'saved_fn', 1));
    const dump = await target.client.functionDump();
    await target.client.functionLoad(libraryCode('saved', 'saved_fn', 2), { replace: true });
    await target.client.functionLoad(libraryCode('extra', 'extra_fn', 3));
    assert.equal(await target.client.functionRestore(dump, 'REPLACE'), 'OK');
    assert.equal(await target.client.fcall('saved_fn'), 1);
    assert.deepEqual(await loadedLibraries(target.client), ['extra', 'saved']);
  });

  test('functionRestore FLUSH drops every library not in the dump', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(libraryCode('saved', 'saved_fn', 1));
    const dump = await target.client.functionDump();
    await target.client.functionLoad(libraryCode('saved', 'saved_fn', 2), { replace: true });
    await target.client.functionLoad(libraryCode('extra', 'extra_fn', 3));
    assert.equal(await target.client.functionRestore(dump, 'FLUSH'), 'OK');
    assert.deepEqual(await loadedLibraries(target.client), ['saved']);
    assert.equal(await target.client.fcall('saved_fn'), 1);
    await assert.rejects(target.client.fcall('extra_fn'), replyError('ERR', /Function not found/));
  });

  test('functionRestore refuses a policy it does not know, before sending', async () => {
    const dump = await target.client.functionDump();
    await assert.rejects(target.client.functionRestore(dump, 'MERGE' as 'FLUSH'), { code: 'ERR_ARGUMENT' });
    await assert.rejects(target.client.functionRestore('not a buffer' as unknown as Buffer), {
      code: 'ERR_ARGUMENT',
    });
  });

  test('functionStats reports no running script and the counts per engine', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(`#!lua name=stats
redis.register_function('stats_a', function() return 1 end)
redis.register_function('stats_b', function() return 2 end)
`);
    await target.client.functionLoad(libraryCode('stats2', 'stats_c', 3));
    const stats = await target.client.functionStats();
    assert.deepEqual(stats, {
      runningScript: null,
      engines: { LUA: { librariesCount: 2, functionsCount: 3 } },
    });
  });

  test('function flags are kept as the server lists them, including ones beyond no-writes', async () => {
    await target.client.functionFlush();
    await target.client.functionLoad(`#!lua name=flagged
redis.register_function{function_name='flagged_fn', callback=function() return 'ok' end, flags={'no-writes', 'allow-stale'}}
`);
    const [listed] = await target.client.functionList({ libraryName: 'flagged' });
    assert.deepEqual([...listed.functions[0].flags].sort(), ['allow-stale', 'no-writes']);
    const fn = (await Library.fromName(target.client, 'flagged')).functions.get('flagged_fn')!;
    assert.deepEqual([...fn.flags].sort(), ['allow-stale', 'no-writes']);
    assert.equal(fn.readOnly, true);
    assert.equal(await fn.fcallRo(target.client), 'ok');
  });
}
