// How long `lint` takes on a 2,000-line function library (target: under 50 ms). A program that
// prints numbers, not a timed test:   npm run build && node bench/lint.mjs
import { performance } from 'node:perf_hooks';
import { lint } from '../dist/esm/lua/index.js';

/** A library of realistic functions (keys, args, loops, branches), `lines` long. */
export function generateLibrary(lines = 2000) {
  const out = [
    '#!lua name=benchlib',
    '-- @version 1.0.0',
    'local function clamp(n, lo, hi)',
    '  if n < lo then return lo end',
    '  if n > hi then return hi end',
    '  return n',
    'end',
  ];
  for (let i = 0; out.length < lines - 12; i++) {
    out.push(
      `local function handler_${i}(keys, args)`,
      `  local limit = clamp(tonumber(args[1]) or 10, 1, 1000)`,
      `  local total = 0`,
      `  for index = 1, limit do`,
      `    local value = redis.call('HGET', keys[1], 'field:' .. index)`,
      `    if value then total = total + tonumber(value) else redis.call('HSET', keys[1], 'field:' .. index, 0) end`,
      `  end`,
      `  local members = redis.call('ZRANGE', keys[2], 0, limit - 1, 'WITHSCORES')`,
      `  redis.call('EXPIRE', keys[1], 60)`,
      `  return { total, #members, cjson.encode({ n = ${i} }) }`,
      `end`,
      `redis.register_function{ function_name = 'handler_${i}', callback = handler_${i}, description = 'n${i}' }`,
    );
  }
  while (out.length < lines) out.push('-- padding');
  return `${out.join('\n')}\n`;
}

if (process.argv[1]?.endsWith('lint.mjs')) main();
async function main() {
  const code = generateLibrary(2000);
  const lineCount = code.split('\n').length - 1;
  let start = performance.now();
  const first = lint(code);
  const cold = performance.now() - start;
  const samples = [];
  const cpu = [];
  for (let run = 0; run < 30; run++) {
    const cpuStart = process.cpuUsage();
    start = performance.now();
    lint(code);
    samples.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const errors = first.filter((d) => d.severity === 'error').length;
  console.log(
    `lint of a ${lineCount}-line library (${code.length} bytes, ${first.length} diagnostics, ${errors} errors)`,
  );
  console.log(`  first call (cold JIT): ${cold.toFixed(1)} ms`);
  console.log(
    `  warm, 30 runs: median ${samples[15].toFixed(1)} ms, min ${samples[0].toFixed(1)} ms, max ${samples[29].toFixed(1)} ms`,
  );
  // On a shared machine wall time includes waiting for a core; CPU time (all threads, GC included) does not.
  console.log(`  CPU time per run: median ${cpu[15].toFixed(1)} ms, min ${cpu[0].toFixed(1)} ms`);
  console.log(`  load average while measuring: ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
  console.log(`  target < 50 ms: ${cold < 50 && samples[15] < 50 ? 'met' : 'NOT met'}`);
}
