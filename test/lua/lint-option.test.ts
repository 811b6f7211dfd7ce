import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Library, RedisError, Script, ScriptAnalysisError } from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

// The lint option of Script.fromLua and Library.fromCode, and Library.fromCode's replace policy.

function analysisError(rule: string) {
  return (error: unknown) => {
    assert.ok(error instanceof ScriptAnalysisError, `expected a ScriptAnalysisError, got ${String(error)}`);
    assert.ok(error instanceof RedisError);
    assert.equal(error.code, 'SCRIPT_ANALYSIS');
    assert.equal(error.mayHaveRun, false);
    assert.ok(
      error.diagnostics.some((d) => d.rule === rule && d.severity === 'error'),
      JSON.stringify(error.diagnostics),
    );
    assert.match(error.message, new RegExp(rule));
    return true;
  };
}

test('Script.fromLua lints only when asked, and refuses errors with a ScriptAnalysisError', () => {
  const broken = "return redis.call('GTE', KEYS[1])";
  assert.equal(Script.fromLua(broken).lua, broken);
  assert.throws(() => Script.fromLua(broken, { lint: true }), analysisError('unknown-command'));
});

test('Script.fromLua passes keyCount and readOnly on to the linter', () => {
  assert.throws(
    () => Script.fromLua("return redis.call('GET', KEYS[2])", { keyCount: 1, lint: true }),
    analysisError('key-index'),
  );
  assert.throws(
    () => Script.fromLua("return redis.call('SET', KEYS[1], 1)", { readOnly: true, lint: true }),
    analysisError('write-in-read-only'),
  );
});

test('Script.fromLua: warnings alone pass, and lint options tune the rules', () => {
  const literal = "return redis.call('GET', 'user:1')";
  assert.equal(Script.fromLua(literal, { lint: true }).lua, literal);
  assert.throws(
    () => Script.fromLua(literal, { lint: { rules: { 'literal-key': 'error' } } }),
    analysisError('literal-key'),
  );
  const module = "return redis.call('JSON.GET', KEYS[1])";
  assert.equal(Script.fromLua(module, { lint: { extraCommands: ['JSON.GET'] } }).lua, module);
});

const versioned = (version: string, reply: number) => `#!lua name=replacelib
-- @version ${version}
redis.register_function('replace_version', function() return ${reply} end)
`;

forEachProtocol((redis) => {
  test('Library.fromCode with lint refuses a broken library before sending anything', async () => {
    const name = uniqueKey('never').replaceAll(/[^A-Za-z0-9]/g, '_');
    const code = `#!lua name=${name}\nredis.register_function('f', function(keys) return redis.call('GTE', keys[1]) end)`;
    await assert.rejects(
      Library.fromCode(redis.client, code, { lint: true }),
      analysisError('unknown-command'),
    );
    const listed = await redis.client.functionList({ libraryName: name });
    assert.deepEqual(listed, []);
  });

  test("Library.fromCode 'if-newer' (default): loads, upgrades, never downgrades", async () => {
    await redis.client.functionFlush();
    const first = await Library.fromCode(redis.client, versioned('1.0.0', 1));
    assert.equal(await first.functions.get('replace_version')!.fcall(redis.client), 1);
    const newer = await Library.fromCode(redis.client, versioned('1.1.0', 2));
    assert.equal(await newer.functions.get('replace_version')!.fcall(redis.client), 2);
    // An older instance starting mid-deploy gets the library as deployed, not its own copy.
    const older = await Library.fromCode(redis.client, versioned('1.0.5', 3));
    assert.equal(older.code, versioned('1.1.0', 2));
    assert.equal(await older.functions.get('replace_version')!.fcall(redis.client), 2);
    const [listed] = await redis.client.functionList({ libraryName: 'replacelib', withCode: true });
    assert.equal(listed.libraryCode, versioned('1.1.0', 2));
  });

  test('Library.fromCode replace: true always replaces; replace: false lets the server refuse', async () => {
    await redis.client.functionFlush();
    await Library.fromCode(redis.client, versioned('2.0.0', 1));
    const forced = await Library.fromCode(redis.client, versioned('1.0.0', 5), { replace: true });
    assert.equal(await forced.functions.get('replace_version')!.fcall(redis.client), 5);
    await assert.rejects(
      Library.fromCode(redis.client, versioned('3.0.0', 6), { replace: false }),
      (error: unknown) => error instanceof RedisError && error.code === 'ERR',
    );
    await assert.rejects(
      Library.fromCode(redis.client, versioned('3.0.0', 6), { replace: 'sometimes' as unknown as boolean }),
      (error: unknown) => error instanceof RedisError && error.code === 'ERR_ARGUMENT',
    );
  });
});
