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
/** Lints `code` 30 times after one cold call; wall and CPU medians. */
function measure(code) {
  let start = performance.now();
  const diagnostics = lint(code);
  const cold = performance.now() - start;
  const wall = [];
  const cpu = [];
  for (let run = 0; run < 30; run++) {
    const cpuStart = process.cpuUsage();
    start = performance.now();
    lint(code);
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { diagnostics, cold, wall, cpu };
}

function show(title, { diagnostics, cold, wall, cpu }) {
  console.log(`${title}: ${diagnostics.length} diagnostics`);
  console.log(`  first call in this process (cold JIT): ${cold.toFixed(1)} ms`);
  console.log(
    `  warm, 30 runs: median ${wall[15].toFixed(1)} ms, min ${wall[0].toFixed(1)} ms, max ${wall[29].toFixed(1)} ms`,
  );
  // On a shared machine wall time includes waiting for a core; CPU time (all threads, GC included) does not.
  console.log(`  CPU time per run: median ${cpu[15].toFixed(1)} ms, min ${cpu[0].toFixed(1)} ms`);
}

async function main() {
  const code = generateLibrary(2000);
  const lines = code.split('\n').length - 1;
  const clean = measure(code);
  show(`a clean ${lines}-line library (${code.length} bytes)`, clean);
  // Diagnostics need positions, which cost a second parse: a library with a warning per function.
  const noisy = code.replaceAll("redis.call('EXPIRE', keys[1], 60)", "redis.call('EXPIRE', 'fixed:key', 60)");
  const warned = measure(noisy);
  show(`the same library with a literal key in every function`, warned);
  console.log(
    `load average (1 min) while measuring: ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores`,
  );
  const verdict = (ms) => (ms < 50 ? 'met' : 'NOT met');
  console.log(
    `target < 50 ms (warm median): clean ${verdict(clean.wall[15])}, with diagnostics ${verdict(warned.wall[15])}`,
  );
}
