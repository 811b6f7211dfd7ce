import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplyError } from '../../src/index.js';
import { COMMAND_TABLE_VERSION, lint } from '../../src/lua/index.js';
import { useServer } from '../helpers.js';

// The linter against the server it speaks for: syntax errors on the line the server reports,
// and for the rules that say "the server refuses this", the server refusing it.

const BROKEN_SCRIPTS = [
  'local x = \n\n foo bar',
  'return 1 +',
  'x = = 2',
  'local s = "abc\nreturn s',
  'local s = [[abc\n\ndef',
  'if x then\n return 1\n',
  'function f(\n a,\n',
  'local t = {\n a = 1\n b = 2 }',
  'return 1\n\n\nlocal',
  '--[[ unterminated\n\ncomment',
  'local x = 0x',
  'goto continue',
  'local a <const> = 1',
  'x = 5 // 2',
  'return "a" .. \n\n\n',
  'for i = 1 do end',
  'return {1, 2,,}',
  'while true do\n\n\nend end',
  'return @',
  'return 1\nreturn 2',
  'break',
  'local a, b = 1\nreturn a b',
  'x = [==[ abc ]=]\n',
  'f()\n(g)()',
  'local x = "\\300"',
  'local function f() return ... end',
  'a.b:c = 1',
  'repeat local x = 1 until',
  "return 'abc\\\ndef",
  'local x\r\nlocal y = \r\n\r\n = 2',
  'x = 1 & 2',
  '::label::',
  'for i=1,2,3,4 do end',
  'function a:b.c() end',
  'x = function(..., a) end',
];

const VALID_SCRIPTS = [
  'local x = 0x1p4 return 1',
  'x = [[ a [[ b ]] return 1',
  'return "\\u{41}"',
  'local x = 1 --[==[ c ]==] return x',
  '#!lua\nreturn 1',
  'return ...',
  'local t = {1;2;3} return #t',
];

/** The line of a compile error reply: `...: user_script:3: '=' expected near '<eof>'`. */
function serverLine(error: unknown): number {
  assert.ok(error instanceof ReplyError, `expected a ReplyError, got ${String(error)}`);
  const match = /user_(?:script|function):(\d+):/.exec(error.message);
  assert.ok(match !== null, `no line in ${error.message}`);
  return Number(match[1]);
}

describe('the linter and a real server', () => {
  const redis = useServer({}, { resp: 3 });

  test(`the command table was captured from the Redis the tests run (${COMMAND_TABLE_VERSION})`, async () => {
    const info = await redis.client.info('server');
    assert.match(info, new RegExp(`redis_version:${COMMAND_TABLE_VERSION.replaceAll('.', '\\.')}\\r`));
  });

  test('syntax errors are reported on the line SCRIPT LOAD reports', async () => {
    for (const lua of BROKEN_SCRIPTS) {
      const error = await redis.client.scriptLoad(lua).then(
        () => assert.fail(`the server accepted ${JSON.stringify(lua)}`),
        (refusal: unknown) => refusal,
      );
      const syntax = lint(lua).filter((d) => d.rule === 'syntax');
      assert.equal(syntax.length, 1, `no syntax error for ${JSON.stringify(lua)}`);
      assert.equal(
        syntax[0].line,
        serverLine(error),
        `line for ${JSON.stringify(lua)}: ${syntax[0].message}`,
      );
    }
  });

  test('code the server compiles has no syntax error', async () => {
    for (const lua of VALID_SCRIPTS) {
      await redis.client.scriptLoad(lua);
      assert.deepEqual(
        lint(lua).filter((d) => d.rule === 'syntax'),
        [],
        JSON.stringify(lua),
      );
    }
  });

  test('syntax errors in a library are on the line FUNCTION LOAD reports (the shebang line counts)', async () => {
    for (const body of [
      'local x = \n\n foo bar',
      'if x then\n return 1\n',
      'local t = {\n a = 1\n b = 2 }',
    ]) {
      const code = `#!lua name=broken\n-- @version 1.0.0\n${body}`;
      const error = await redis.client.functionLoad(code, { replace: true }).then(
        () => assert.fail('the server accepted it'),
        (refusal: unknown) => refusal,
      );
      const [syntax] = lint(code).filter((d) => d.rule === 'syntax');
      assert.equal(syntax.line, serverLine(error), body);
    }
  });

  test('what the library rules call refused, the server refuses', async () => {
    const refused = [
      "#!lua name=my-lib\nredis.register_function('f', function() return 1 end)",
      "#!lua name=lib version=2\nredis.register_function('f', function() return 1 end)",
      "#!lua name=lib\nredis.register_function('f', function() return 1 end)\nredis.register_function('f', function() return 2 end)",
      "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 1 end, flags={'readonly'}}",
      "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 1 end, timeout=1}",
      "#!lua name=lib\nredis.register_function('f-g', function() return 1 end)",
      '#!lua name=lib\nlocal x = 1',
      "#!lua name=lib\nlocal fmt = string.format\nredis.register_function('f', function() return 1 end)",
      "#!lua name=lib\ncount = 1\nredis.register_function('f', function() return 1 end)",
      "#!lua name=lib\nredis.call('PING')\nredis.register_function('f', function() return 1 end)",
      "#!lua name=lib\nfor _, n in ipairs({'a'}) do redis.register_function(n, function() return 1 end) end",
    ];
    for (const code of refused) {
      const errors = lint(code).filter((d) => d.severity === 'error');
      assert.ok(errors.length > 0, `lint found nothing wrong with ${JSON.stringify(code)}`);
      await assert.rejects(
        redis.client.functionLoad(code, { replace: true }),
        ReplyError,
        JSON.stringify(code),
      );
    }
  });

  test('what the script rules call an error, the server fails at run time', async () => {
    const failing: [string, string[]][] = [
      ['count = 1 return count', []],
      ['return tostirng(1)', []],
      ["return redis.call('GTE', KEYS[1])", ['k']],
      ["return redis.call('GET', KEYS[1], 'x')", ['k']],
      ["redis.call('MULTI') return 1", []],
      ['#!lua flags=no-writes\nreturn redis.call("DEL", KEYS[1])', ['k']],
      ['#!lua flags=bogus\nreturn 1', []],
      ['return os.time()', []],
      ['return redis.sha1(ARGV[1])', []],
      ['string.trim = 1 return 1', []],
    ];
    for (const [lua, keys] of failing) {
      const errors = lint(lua).filter((d) => d.severity === 'error');
      assert.ok(errors.length > 0, `lint found nothing wrong with ${JSON.stringify(lua)}`);
      await assert.rejects(redis.client.eval(lua, keys, ['x']), ReplyError, JSON.stringify(lua));
    }
  });

  test('a library lint calls clean loads and runs', async () => {
    const code = `#!lua name=cleanlib
-- @version 1.0.0
local function incr(keys, args)
  return redis.call('INCRBY', keys[1], tonumber(args[1]) or 1)
end
redis.register_function{ function_name = 'clean_incr', callback = incr }
redis.register_function{
  function_name = 'clean_get',
  callback = function(keys) return redis.call('GET', keys[1]) end,
  flags = { 'no-writes' },
}
`;
    assert.deepEqual(lint(code), []);
    assert.equal(await redis.client.functionLoad(code, { replace: true }), 'cleanlib');
    assert.equal(await redis.client.fcall('clean_incr', ['lint:counter'], [3]), 3);
    assert.equal(await redis.client.fcallRo('clean_get', ['lint:counter']), '3');
  });
});
