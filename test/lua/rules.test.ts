import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Diagnostic, type LintOptions, lint, RULES, type RuleName } from '../../src/lua/index.js';

// Every rule, with code that triggers it (at the line given) and code that is its fixed twin and
// must not. The examples are the ones docs/linting.md shows.

interface Case {
  rule: RuleName;
  bad: string;
  badOptions?: LintOptions;
  /** Line and severity of the expected diagnostic. */
  line: number;
  severity?: 'error' | 'warning';
  good: string;
  goodOptions?: LintOptions;
}

const lib = (body: string) => `#!lua name=mylib\n${body}`;
const registered = (body: string) =>
  lib(`local function run(keys, args)\n${body}\nend\nredis.register_function('run', run)`);

const CASES: Case[] = [
  { rule: 'syntax', bad: 'local x = \n\n foo bar', line: 3, good: 'local x = foo\nreturn x' },
  { rule: 'global-write', bad: 'count = 1\nreturn count', line: 1, good: 'local count = 1\nreturn count' },
  { rule: 'global-write', bad: 'function helper() end', line: 1, good: 'local function helper() end' },
  {
    rule: 'global-write',
    bad: 'string.trim = function(s) return s end',
    line: 1,
    good: 'local t = {}\nt.trim = 1',
  },
  { rule: 'undefined-global', bad: 'return tostirng(1)', line: 1, good: 'return tostring(1)' },
  {
    rule: 'undefined-global',
    bad: lib("redis.register_function('f', function(keys) return KEYS[1] end)"),
    line: 2,
    good: lib("redis.register_function('f', function(keys) return keys[1] end)"),
  },
  {
    rule: 'undefined-global',
    bad: lib("local fmt = string.format\nredis.register_function('f', function() return fmt('%d', 1) end)"),
    line: 2,
    good: lib("redis.register_function('f', function() return string.format('%d', 1) end)"),
  },
  { rule: 'forbidden-library', bad: 'return os.time()', line: 1, good: "return redis.call('TIME')[1]" },
  { rule: 'forbidden-library', bad: 'local f = io.open("x")', line: 1, good: 'local f = 1' },
  {
    rule: 'forbidden-library',
    bad: "return loadstring('return 1')()",
    line: 1,
    severity: 'warning',
    good: 'return (function() return 1 end)()',
  },
  { rule: 'unknown-api', bad: 'return redis.sha1(ARGV[1])', line: 1, good: 'return redis.sha1hex(ARGV[1])' },
  {
    rule: 'unknown-api',
    bad: lib("redis.call('SET', 'k', 'v')\nredis.register_function('f', function() return 1 end)"),
    line: 2,
    good: lib("redis.register_function('f', function(keys) return redis.call('SET', keys[1], 'v') end)"),
  },
  {
    rule: 'unknown-api',
    bad: 'if redis.nothing then return 1 end',
    line: 1,
    severity: 'warning',
    good: 'return 1',
  },
  {
    rule: 'unknown-api',
    bad: "redis.register_function('f', function() return 1 end)",
    badOptions: { kind: 'script' },
    line: 1,
    good: 'return 1',
  },
  { rule: 'deprecated-api', bad: 'redis.replicate_commands()\nreturn 1', line: 1, good: 'return 1' },
  {
    rule: 'literal-key',
    bad: "return redis.call('GET', 'user:1')",
    line: 1,
    good: "return redis.call('GET', KEYS[1])",
  },
  {
    rule: 'literal-key',
    bad: "local key = 'user:' .. ARGV[1]\nreturn redis.call('HGETALL', key)",
    line: 2,
    good: "local key = KEYS[1] .. ':profile'\nreturn redis.call('HGETALL', key)",
  },
  {
    rule: 'literal-key',
    bad: "local rcall = redis.call\nreturn rcall('ZUNIONSTORE', KEYS[1], 2, KEYS[2], 'other')",
    line: 2,
    good: "local rcall = redis.call\nreturn rcall('ZUNIONSTORE', KEYS[1], 2, KEYS[2], KEYS[3], 'WEIGHTS', 1, 2)",
  },
  {
    rule: 'key-index',
    bad: "return redis.call('GET', KEYS[2])",
    badOptions: { keyCount: 1 },
    line: 1,
    good: "return redis.call('GET', KEYS[1])",
    goodOptions: { keyCount: 1 },
  },
  {
    rule: 'key-index',
    bad: "return redis.call('GET', KEYS[0])",
    line: 1,
    good: "return redis.call('GET', KEYS[1])",
  },
  {
    rule: 'write-in-read-only',
    bad: "#!lua flags=no-writes\nreturn redis.call('DEL', KEYS[1])",
    line: 2,
    good: "#!lua flags=no-writes\nreturn redis.call('EXISTS', KEYS[1])",
  },
  {
    rule: 'write-in-read-only',
    bad: "return redis.call('INCR', KEYS[1])",
    badOptions: { readOnly: true },
    line: 1,
    good: "return redis.call('INCR', KEYS[1])",
  },
  {
    rule: 'write-in-read-only',
    bad: lib(
      "local function bump(key) return redis.call('INCR', key) end\nredis.register_function{function_name='peek', callback=function(keys) return bump(keys[1]) end, flags={'no-writes'}}",
    ),
    line: 2,
    good: lib(
      "local function bump(key) return redis.call('INCR', key) end\nredis.register_function{function_name='bump', callback=function(keys) return bump(keys[1]) end}",
    ),
  },
  {
    rule: 'unknown-command',
    bad: "return redis.call('GTE', KEYS[1])",
    line: 1,
    good: "return redis.call('GET', KEYS[1])",
  },
  {
    rule: 'unknown-command',
    bad: "return redis.call('JSON.GET', KEYS[1])",
    line: 1,
    good: "return redis.call('JSON.GET', KEYS[1])",
    goodOptions: { extraCommands: ['JSON.GET'] },
  },
  {
    rule: 'unknown-command',
    bad: "return redis.call('OBJECT', 'ENCODNG', KEYS[1])",
    line: 1,
    good: "return redis.call('OBJECT', 'ENCODING', KEYS[1])",
  },
  { rule: 'noscript-command', bad: "redis.call('MULTI')\nreturn 1", line: 1, good: 'return 1' },
  {
    rule: 'arity',
    bad: "return redis.call('GET', KEYS[1], 'x')",
    line: 1,
    good: "return redis.call('GET', KEYS[1])",
  },
  {
    rule: 'arity',
    bad: "return redis.call('HSET', KEYS[1], 'f')",
    line: 1,
    good: "return redis.call('HSET', KEYS[1], unpack(ARGV))",
  },
  {
    rule: 'deprecated-command',
    bad: "return redis.call('GETSET', KEYS[1], ARGV[1])",
    line: 1,
    good: "return redis.call('SET', KEYS[1], ARGV[1], 'GET')",
  },
  {
    rule: 'dangerous-command',
    bad: "return redis.call('KEYS', 'user:*')",
    line: 1,
    good: "return redis.call('EXISTS', KEYS[1])",
  },
  {
    rule: 'dangerous-command',
    bad: "return redis.call('FLUSHALL')",
    line: 1,
    good: "return redis.call('DEL', KEYS[1])",
  },
  {
    rule: 'dangerous-command',
    bad: "return redis.call('RANDOMKEY')",
    line: 1,
    good: "return redis.call('SRANDMEMBER', KEYS[1])",
  },
  {
    rule: 'scan-in-loop',
    bad: "local cursor = '0'\nrepeat\n  local reply = redis.call('SCAN', cursor)\n  cursor = reply[1]\nuntil cursor == '0'",
    line: 3,
    good: "return redis.call('SCAN', ARGV[1], 'COUNT', 100)",
  },
  {
    rule: 'unbounded-loop',
    bad: "while true do\n  local item = redis.call('LPOP', KEYS[1])\n  if not item then break end\nend",
    line: 1,
    good: "for i = 1, tonumber(ARGV[1]) do\n  local item = redis.call('LPOP', KEYS[1])\n  if not item then break end\nend",
  },
  {
    rule: 'unbounded-loop',
    bad: "while redis.call('LPOP', KEYS[1]) do end",
    line: 1,
    good: 'local n = 0\nwhile n < 10 do n = n + 1 end',
  },
  {
    rule: 'shebang',
    bad: "redis.register_function('f', function() return 1 end)",
    badOptions: { kind: 'library' },
    line: 1,
    good: lib("redis.register_function('f', function() return 1 end)"),
  },
  {
    rule: 'shebang',
    bad: "#!lua name=my-lib\nredis.register_function('f', function() return 1 end)",
    line: 1,
    good: lib("redis.register_function('f', function() return 1 end)"),
  },
  {
    rule: 'shebang',
    bad: "#!lua name=mylib version=2\nredis.register_function('f', function() return 1 end)",
    line: 1,
    good: lib("redis.register_function('f', function() return 1 end)"),
  },
  { rule: 'shebang', bad: '#!js\nreturn 1', line: 1, good: '#!lua\nreturn 1' },
  {
    rule: 'unknown-flag',
    bad: '#!lua flags=no-writes,read-only\nreturn 1',
    line: 1,
    good: '#!lua flags=no-writes,allow-stale\nreturn 1',
  },
  {
    rule: 'unknown-flag',
    bad: lib(
      "redis.register_function{function_name='f', callback=function() return 1 end, flags={'readonly'}}",
    ),
    line: 2,
    good: lib(
      "redis.register_function{function_name='f', callback=function() return 1 end, flags={'no-writes'}}",
    ),
  },
  {
    rule: 'register-function',
    bad: lib("redis.register_function{function_name='f', callback=function() return 1 end, timeout=5}"),
    line: 2,
    good: lib(
      "redis.register_function{function_name='f', callback=function() return 1 end, description='one'}",
    ),
  },
  {
    rule: 'register-function',
    bad: lib("redis.register_function('my-fn', function() return 1 end)"),
    line: 2,
    good: lib("redis.register_function('my_fn', function() return 1 end)"),
  },
  {
    rule: 'duplicate-function',
    bad: lib(
      "redis.register_function('f', function() return 1 end)\nredis.register_function('f', function() return 2 end)",
    ),
    line: 3,
    good: lib(
      "redis.register_function('f', function() return 1 end)\nredis.register_function('g', function() return 2 end)",
    ),
  },
  {
    rule: 'no-functions',
    bad: lib('local x = 1'),
    line: 1,
    good: lib("redis.register_function('f', function() return 1 end)"),
  },
  {
    rule: 'register-outside-load',
    bad: lib(
      "redis.register_function('f', function()\n  redis.register_function('g', function() return 1 end)\nend)",
    ),
    line: 3,
    good: lib(
      "local function register(name) redis.register_function(name, function() return 1 end) end\nregister('f')\nregister('g')",
    ),
  },
  {
    rule: 'library-version',
    bad: lib("-- @version 1.2\nredis.register_function('f', function() return 1 end)"),
    line: 2,
    good: lib("-- @version 1.2.0\nredis.register_function('f', function() return 1 end)"),
  },
];

function ofRule(diagnostics: Diagnostic[], rule: RuleName): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.rule === rule);
}

describe('lint rules', () => {
  for (const [index, item] of CASES.entries()) {
    test(`${item.rule} #${index}: reports ${JSON.stringify(item.bad.split('\n').at(-1)!.slice(0, 60))}`, () => {
      const found = ofRule(lint(item.bad, item.badOptions), item.rule);
      assert.ok(found.length > 0, `no ${item.rule} in ${JSON.stringify(lint(item.bad, item.badOptions))}`);
      assert.equal(found[0].line, item.line);
      assert.equal(found[0].severity, item.severity ?? RULES[item.rule]);
      assert.ok(found[0].column >= 1);
      assert.ok(found[0].message.length > 0);
    });
    test(`${item.rule} #${index}: its fixed twin is clean of it`, () => {
      assert.deepEqual(ofRule(lint(item.good, item.goodOptions), item.rule), []);
    });
  }

  test('every rule has a case that triggers it', () => {
    const covered = new Set(CASES.map((item) => item.rule));
    assert.deepEqual(
      Object.keys(RULES).filter((rule) => !covered.has(rule as RuleName)),
      [],
    );
  });

  test('a clean script and a clean library have no diagnostics at all', () => {
    assert.deepEqual(lint('return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}', { keyCount: 2 }), []);
    const counter = registered("  return redis.call('INCRBY', keys[1], args[1] or 1)");
    assert.deepEqual(lint(counter), []);
  });

  test('columns are 1-based and count characters, not bytes, on lines with non-ASCII text', () => {
    const [found] = lint("local s = 'héllo' return redis.call('GET', 'k')");
    assert.equal(found.rule, 'literal-key');
    assert.equal(found.column, "local s = 'héllo' return redis.call('GET', ".length + 1);
  });

  test('rules can be turned off or given another severity', () => {
    const code = "return redis.call('GET', 'user:1')";
    assert.deepEqual(lint(code, { rules: { 'literal-key': 'off' } }), []);
    assert.equal(lint(code, { rules: { 'literal-key': 'error' } })[0].severity, 'error');
  });

  test('includes: names an include defines are known; unresolved includes make unknown names warnings', () => {
    const main = '--- @include "includes/helper"\nreturn helper(KEYS[1])';
    const files: Record<string, string> = {
      'includes/helper': '--- @include "inner"\nlocal function helper(key) return inner(key) end',
      inner: "local function inner(key) return redis.call('GET', key) end",
    };
    const resolved = lint(main, {
      resolveInclude: (path, from) => {
        const source = files[path];
        return source === undefined ? undefined : { id: `${from ?? ''}>${path}`, source };
      },
    });
    assert.deepEqual(resolved, []);
    const unresolved = lint(main);
    assert.deepEqual(
      unresolved.map((d) => [d.rule, d.severity]),
      [['undefined-global', 'warning']],
    );
  });

  test('string literals are read as Lua decodes them: escapes and long brackets', () => {
    const rules = (lua: string) => lint(lua).map((d) => `${d.rule}: ${d.message}`);
    assert.deepEqual(rules("return redis.call('G\\69T', 'a\\tb')"), [
      "literal-key: the key 'a\tb' of GET is named in the script: pass it in KEYS so a cluster routes the call to its node",
    ]);
    assert.deepEqual(
      rules('return redis.call([==[\nGTE]==], KEYS[1])').map((text) => text.split(' ')[0]),
      ['unknown-command:'],
    );
    assert.match(rules('return redis.call([==[\nGTE]==], KEYS[1])')[0], /GTE is not a command/);
  });

  test('a library registering functions under computed names, in a loop, is clean', () => {
    const code = lib(
      "local names = {'a', 'b'}\nfor i = 1, #names do\n  redis.register_function('get_' .. names[i], function(keys) return redis.call('GET', keys[1]) end)\nend",
    );
    assert.deepEqual(lint(code), []);
  });

  test('lint refuses a non-string with a TypeError', () => {
    assert.throws(() => lint(42 as unknown as string), TypeError);
  });
});
