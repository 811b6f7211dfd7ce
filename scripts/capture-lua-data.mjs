// Captures what the linter in src/lua knows about Redis from a real server, into
// src/lua/data/redis-data.ts: every command and subcommand (COMMAND INFO: arity, flags, key
// specs, tips; COMMAND DOCS: deprecation), and the Lua globals and `redis.*` API an EVAL script,
// a function at run time and a library at load time can see. Nothing there is typed by hand.
//
//   npm run build && node scripts/capture-lua-data.mjs            (starts a throwaway redis-server)
//   REDIS_URL=redis://host:6379 node scripts/capture-lua-data.mjs  (or asks the server you name)
//
// Re-run it against a newer Redis to refresh the table; the file notes the version it came from.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../dist/esm/index.js';
import { startRedis } from '../dist/esm/testing/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'src', 'lua', 'data', 'redis-data.ts');

/** RESP2 pairs [k1, v1, k2, v2] -> object. */
function pairs(list) {
  const object = {};
  for (let i = 0; i + 1 < list.length; i += 2) object[String(list[i])] = list[i + 1];
  return object;
}

/** COMMAND INFO and COMMAND DOCS of every command, subcommands as `container|sub`. */
async function captureCommands() {
  const infos = await client.call('COMMAND', 'INFO');
  const docs = pairs(await client.call('COMMAND', 'DOCS'));
  const table = {};
  const add = (entry, docEntry) => {
    const [name, arity, flags, , , , , tips = [], keySpecs = [], subcommands = []] = entry;
    const doc = docEntry === undefined ? {} : pairs(docEntry);
    const record = { arity: Number(arity), flags: flags.map(String) };
    const keys = keySpecs.map(compactKeySpec).filter((spec) => spec !== undefined);
    if (keys.length > 0) record.keys = keys;
    if (tips.length > 0) record.tips = tips.map(String);
    if (Array.isArray(doc.doc_flags) && doc.doc_flags.map(String).includes('deprecated')) {
      record.deprecated = {
        since: String(doc.deprecated_since ?? ''),
        replacedBy: String(doc.replaced_by ?? ''),
      };
    }
    table[String(name).toLowerCase()] = record;
    const subDocs = doc.subcommands === undefined ? {} : pairs(doc.subcommands);
    for (const sub of subcommands) add(sub, subDocs[String(sub[0])]);
  };
  for (const entry of infos) add(entry, docs[String(entry[0])]);
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * A key spec reduced to what locating keys needs:
 * `{ index }` or `{ keyword, from }` to begin, then `{ last, step, limit }` or `{ numkeys, first, step }`.
 */
function compactKeySpec(raw) {
  const spec = pairs(raw);
  const begin = pairs(spec.begin_search);
  const find = pairs(spec.find_keys);
  const beginSpec = pairs(begin.spec ?? []);
  const findSpec = pairs(find.spec ?? []);
  const out = { flags: spec.flags.map(String) };
  if (begin.type === 'index') out.begin = { index: Number(beginSpec.index) };
  else if (begin.type === 'keyword')
    out.begin = { keyword: String(beginSpec.keyword), from: Number(beginSpec.startfrom) };
  else return { ...out, begin: 'unknown' };
  if (find.type === 'range')
    out.find = {
      last: Number(findSpec.lastkey),
      step: Number(findSpec.keystep),
      limit: Number(findSpec.limit),
    };
  else if (find.type === 'keynum')
    out.find = {
      numkeys: Number(findSpec.keynumidx),
      first: Number(findSpec.firstkey),
      step: Number(findSpec.keystep),
    };
  else out.find = 'unknown';
  return out;
}

const LIST_GLOBALS = `local t = {}
for name, value in pairs(_G) do t[#t + 1] = name .. ':' .. type(value) end
for lib, value in pairs(_G) do
  if type(value) == 'table' and lib ~= '_G' and lib ~= 'KEYS' and lib ~= 'ARGV' then
    for name, member in pairs(value) do t[#t + 1] = lib .. '.' .. name .. ':' .. type(member) end
  end
end
table.sort(t)
return t`;

/** name:type and lib.member:type lists -> { globals: {name: type}, members: {lib: {name: type}} }. */
function environment(list) {
  const globals = {};
  const members = {};
  for (const item of list.map(String)) {
    const colon = item.lastIndexOf(':');
    const path = item.slice(0, colon);
    const type = item.slice(colon + 1);
    const dot = path.indexOf('.');
    if (dot === -1) globals[path] = type;
    else (members[path.slice(0, dot)] ??= {})[path.slice(dot + 1)] = type;
  }
  return { globals, members };
}

/**
 * EVAL scripts and functions run in different environments, and a library's top level runs in a
 * third, much smaller one (at load time). The first two list themselves; the third cannot
 * iterate (even `pairs` is absent there), so every name the others know is probed one by one.
 */
async function captureLuaEnvironments() {
  const script = environment(await client.call('EVAL', LIST_GLOBALS, 0));
  await client.call(
    'FUNCTION',
    'LOAD',
    'REPLACE',
    `#!lua name=redmoon_capture\nredis.register_function('redmoon_capture_env', function()\n${LIST_GLOBALS}\nend)`,
  );
  const runtime = environment(await client.call('FCALL', 'redmoon_capture_env', 0));
  await client.call('FUNCTION', 'DELETE', 'redmoon_capture');

  const loadTime = { globals: {}, members: {} };
  const probe = async (expression) => {
    const code = `#!lua name=redmoon_probe\nlocal probed = ${expression}\nif probed == nil then error('nil') end\nredis.register_function('redmoon_probe', function() return type(probed) end)`;
    try {
      await client.call('FUNCTION', 'LOAD', 'REPLACE', code);
      return (await client.call('FCALL', 'redmoon_probe', 0)).toString();
    } catch {
      return undefined;
    } finally {
      await client.call('FUNCTION', 'DELETE', 'redmoon_probe').catch(() => undefined);
    }
  };
  const names = new Set([...Object.keys(script.globals), ...Object.keys(runtime.globals)]);
  for (const name of [...names].sort()) {
    const type = await probe(name);
    if (type !== undefined) loadTime.globals[name] = type;
  }
  for (const lib of Object.keys(loadTime.globals)) {
    const candidates = new Set([
      ...Object.keys(script.members[lib] ?? {}),
      ...Object.keys(runtime.members[lib] ?? {}),
      ...(lib === 'redis' ? ['register_function'] : []),
    ]);
    for (const name of [...candidates].sort()) {
      const type = await probe(`${lib}.${name}`);
      if (type !== undefined) (loadTime.members[lib] ??= {})[name] = type;
    }
  }
  return { script, function: runtime, load: loadTime };
}

function render(version, commands, lua) {
  return `// Generated by scripts/capture-lua-data.mjs from Redis ${version} (COMMAND INFO, COMMAND DOCS and the
// Lua environments of EVAL scripts, functions and library loading). Do not edit by hand: re-run
// the script against the server version you target.
import type { RedisData } from './types.js';

export const REDIS_DATA: RedisData = ${JSON.stringify({ redisVersion: version, commands, lua })};
`;
}

const server = process.env.REDIS_URL ? undefined : await startRedis();
const client = new Client({ url: process.env.REDIS_URL ?? server.url, resp: 2 });
await client.connect();
try {
  const info = await client.call('INFO', 'server');
  const version = /redis_version:([^\r\n]+)/.exec(info)[1];
  const commands = await captureCommands();
  const lua = await captureLuaEnvironments();
  writeFileSync(output, render(version, commands, lua));
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/@biomejs/biome/bin/biome'), 'format', '--write', output],
    {
      stdio: 'inherit',
    },
  );
  console.log(`wrote ${output}: Redis ${version}, ${Object.keys(commands).length} commands and subcommands`);
} finally {
  await client.quit();
  await server?.stop();
}
