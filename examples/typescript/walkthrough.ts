// The walkthrough of the README in TypeScript, with typed scripts: keys, arguments and replies
// are checked at compile time. Type-checked and compiled by `npm test` and `npm run examples`
// (examples/tsconfig.json, into .build/examples), and run by `npm run examples`; on its own:
//
//   npm run build && npx tsc -p examples/tsconfig.json && node .build/examples/walkthrough.js
import { pathToFileURL } from 'node:url';
import { Client, Library, ReplyError, Script, sha1 } from 'redmoon';
import { startRedis } from 'redmoon/testing';

const echoLua = `#!lua name=tsecholib
redis.register_function{
  function_name = 'echo',
  callback = function(keys, args) return {keys[1], keys[2], args[1], args[2]} end,
  flags = { 'no-writes' },
}
`;

/** Four strings back: Redis hands every argument to Lua as a string. */
type Echoed = [string, string, string, string];

const echoScript = Script.fromLua<{ keys: [string, string]; args: [number, number]; reply: Echoed }>(
  'return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}',
);
const incrBy = Script.fromLua<{ keys: [string]; args: [number]; reply: number }>(
  "return redis.call('INCRBY', KEYS[1], ARGV[1])",
);

export async function main(url: string): Promise<void> {
  console.log('\n=== Walkthrough in TypeScript: typed scripts ===');
  const client = new Client({ url });
  await client.connect();

  const hash: string = sha1(echoScript.lua);
  if (!(await client.scriptExists(hash))) await client.scriptLoad(echoScript.lua);
  const bySha = await client.evalsha<Echoed>(hash, ['foo', 'bar'], [1, 2]);
  console.log(`TS 1. evalsha<Echoed>: ${JSON.stringify(bySha)}`);

  // The signature fixes two keys and two numbers; `echoScript.evalsha(client, ['foo'], [1, 2])`
  // would not compile.
  const echoed: Echoed = await echoScript.evalshaWithReload(client, ['foo', 'bar'], [1, 2]);
  console.log(`TS 2. a typed Script gives a typed reply: ${JSON.stringify(echoed)}`);

  const total: number = await incrBy.evalshaWithReload(client, ['ts:counter'], [5]);
  console.log(`TS 3. incrBy(ts:counter, 5) = ${total}`);

  // Error replies are ReplyErrors with the server's code; branch on `code`, not on the text.
  await client.set('ts:text', 'not a number');
  try {
    await incrBy.evalshaWithReload(client, ['ts:text'], [1]);
  } catch (error) {
    if (!(error instanceof ReplyError)) throw error;
    console.log(`TS 4. a script error is a ReplyError: code ${error.code}, command ${error.command}`);
  }

  const lib = await Library.fromCode(client, echoLua);
  const echo = lib.functions.get('echo');
  if (echo === undefined) throw new Error('the library has no echo function');
  const viaFunction = await echo.fcallRo<Echoed>(client, ['foo{1}', 'bar{1}'], ['3', '4']);
  console.log(
    `TS 5. ${lib.name}.echo (flags ${echo.flags.join(',')}) through FCALL_RO: ${JSON.stringify(viaFunction)}`,
  );

  // Buffers where the bytes matter: the reply types follow the option.
  const bytes: Buffer | null = await client.withOptions({ buffers: true }).get('ts:text');
  console.log(`TS 6. withOptions({ buffers: true }).get() gives a Buffer of ${bytes?.length} bytes`);

  await client.functionDelete(lib.name);
  await client.call('DEL', 'ts:counter', 'ts:text');
  await client.quit();
}

// Run directly: against REDIS_URL, or a throwaway redis-server started here.
if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const url = process.env.REDIS_URL;
  const server = url ? undefined : await startRedis();
  try {
    await main(url || (server?.url ?? ''));
  } finally {
    await server?.stop();
  }
}
