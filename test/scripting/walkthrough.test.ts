import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, Library, Script, sha1 } from '../../src/index.js';
import { forEachProtocol } from '../helpers.js';

const echoLua = `#!lua name=echolib
redis.register_function{
  function_name = 'echo',
  callback = function(keys, args) return {keys[1], keys[2], args[1], args[2]} end,
  flags = { 'no-writes' },
}
`;

forEachProtocol((redis) => {
  test('runs the DESIGN §1 walkthrough exactly as written', async () => {
    const client = new Client({ url: redis.server.url, resp: redis.resp });
    await client.connect();

    const SCRIPT = 'return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}';
    const hash = sha1(SCRIPT);
    assert.match(hash, /^[0-9a-f]{40}$/);
    if (!(await client.scriptExists(hash))) {
      assert.equal(await client.scriptLoad(SCRIPT), hash);
    }
    assert.equal(await client.scriptExists(hash), true);
    assert.deepEqual(await client.evalsha(hash, ['foo', 'bar'], [1, 2]), ['foo', 'bar', '1', '2']);
    assert.deepEqual(await client.eval(SCRIPT, ['foo', 'bar'], [1, 2]), ['foo', 'bar', '1', '2']);

    const script = Script.fromLua(SCRIPT);
    assert.equal(script.lua, SCRIPT);
    assert.equal(script.sha1, hash);
    assert.equal(await script.load(client), hash);
    assert.deepEqual(await script.evalsha(client, ['foo', 'bar'], [1, 2]), ['foo', 'bar', '1', '2']);
    assert.deepEqual(await script.evalshaWithReload(client, ['foo', 'bar'], [1, 2]), [
      'foo',
      'bar',
      '1',
      '2',
    ]);
    assert.equal(Script.fromHash(hash).sha1, hash);

    const lib = await Library.fromCode(client, echoLua);
    assert.equal(lib.name, 'echolib');
    const echo = lib.functions.get('echo')!;
    assert.equal(echo.name, 'echo');
    assert.deepEqual(echo.flags, ['no-writes']);
    assert.deepEqual(await echo.fcall(client, ['foo{1}', 'bar{1}'], ['3', '4']), [
      'foo{1}',
      'bar{1}',
      '3',
      '4',
    ]);
    assert.deepEqual(await echo.fcallRo(client, ['foo{1}', 'bar{1}'], ['3', '4']), [
      'foo{1}',
      'bar{1}',
      '3',
      '4',
    ]);
    const again = await Library.fromName(client, 'echolib');
    assert.deepEqual([...again.functions.keys()], ['echo']);
    await client.quit();
    assert.equal(client.status, 'closed');
  });
});
