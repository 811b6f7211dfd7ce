// The walkthrough of the README (the program redmoon is held to), step by step: running a Lua script by its hash, loading it when
// the server lacks it, the Script helper, and a Redis Functions library.
//
//   node examples/walkthrough.mjs          (after `npm run build`)
import { Client, Library, Script, sha1 } from 'redmoon';
import { runDirectly } from './redis.mjs';

// A function library is Lua code whose first line names it; each registered function can
// declare flags, here `no-writes` (it only reads, so FCALL_RO and replicas may run it).
const echoLua = `#!lua name=echolib
redis.register_function{
  function_name = 'echo',
  callback = function(keys, args) return {keys[1], keys[2], args[1], args[2]} end,
  flags = { 'no-writes' },
}
`;

const show = (value) => JSON.stringify(value);

export async function main(url) {
  console.log('\n=== Walkthrough: Lua scripts and Redis Functions ===');
  const client = new Client({ url });
  await client.connect();
  console.log(`1. Connected to ${url} (speaking RESP${client.resp}).`);

  const SCRIPT = 'return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}';
  const hash = sha1(SCRIPT);
  console.log(`2. The script ${show(SCRIPT)} is named by its SHA1, computed locally: ${hash}`);

  const cached = await client.scriptExists(hash);
  console.log(`3. Does the server already have it cached? SCRIPT EXISTS says: ${cached}.`);
  if (!cached) {
    const reported = await client.scriptLoad(SCRIPT);
    console.log(`   So we load it with SCRIPT LOAD; the server names it ${reported} (the same hash).`);
  }

  const bySha = await client.evalsha(hash, ['foo', 'bar'], [1, 2]);
  console.log(`4. EVALSHA sends only the hash, with keys foo, bar and args 1, 2. Reply: ${show(bySha)}`);
  console.log('   (numbers travel as strings: Redis hands every argument to Lua as a string.)');
  const byEval = await client.eval(SCRIPT, ['foo', 'bar'], [1, 2]);
  console.log(`5. EVAL sends the whole source instead, and gives the same reply: ${show(byEval)}`);

  const script = Script.fromLua(SCRIPT);
  console.log(`6. Script.fromLua wraps the source; script.sha1 is ${script.sha1}.`);
  console.log(`   script.load() loads it on the server: ${await script.load(client)}`);
  console.log(
    `   script.evalsha() runs it by hash: ${show(await script.evalsha(client, ['foo', 'bar'], [1, 2]))}`,
  );
  const reloaded = await script.evalshaWithReload(client, ['foo', 'bar'], [1, 2]);
  console.log(
    `   script.evalshaWithReload() does the same, and survives a server that lost it: ${show(reloaded)}`,
  );

  // A script the server has never seen: EVALSHA answers NOSCRIPT, the client loads it and retries once.
  const fresh = Script.fromLua(`-- loaded on demand at ${Date.now()}\nreturn 'loaded on demand'`);
  const before = await client.scriptExists(fresh.sha1);
  const answer = await fresh.evalshaWithReload(client);
  console.log(
    `7. A brand-new script (cached before: ${before}) run with evalshaWithReload: the server said NOSCRIPT,`,
  );
  console.log(
    `   the client loaded it and retried once. Reply: ${show(answer)}; cached now: ${await client.scriptExists(fresh.sha1)}.`,
  );

  const known = Script.fromHash(hash);
  console.log(
    `8. Script.fromHash(hash) names a script by its hash alone (no source to reload): ${known.sha1}`,
  );

  const lib = await Library.fromCode(client, echoLua);
  console.log(
    `9. Library.fromCode loaded the library "${lib.name}" (FUNCTION LOAD REPLACE, then FUNCTION LIST).`,
  );
  const echo = lib.functions.get('echo');
  console.log(`   It has the function "${echo.name}" with flags ${show(echo.flags)}.`);
  console.log(`   echo.fcall(): ${show(await echo.fcall(client, ['foo{1}', 'bar{1}'], ['3', '4']))}`);
  console.log(
    `   echo.fcallRo() (allowed because of no-writes): ${show(await echo.fcallRo(client, ['foo{1}', 'bar{1}'], ['3', '4']))}`,
  );
  const again = await Library.fromName(client, 'echolib');
  console.log(
    `10. Library.fromName reads it back from the server: functions ${show([...again.functions.keys()])}.`,
  );

  await client.functionDelete('echolib');
  await client.quit();
  console.log(`11. Deleted the example library and closed the client (status: ${client.status}).`);
}

await runDirectly(import.meta.url, main);
