import type { RedisArg } from '../resp/types.js';
import type { KeySpec } from './spec.js';

/**
 * The arguments of a call with `prefix` in front of every key, found where the command's
 * description says its keys are (so EVAL/EVALSHA/FCALL `KEYS` are prefixed too). A new array;
 * the caller's is left as it was. What is not a key is never touched: patterns (KEYS, SCAN
 * MATCH), channel names, and key names inside replies or inside Lua code.
 */
export function prefixKeys(keys: KeySpec, args: RedisArg[], prefix: string): RedisArg[] {
  if (keys.kind === 'none') return args;
  let first: number;
  let last: number;
  let step = 1;
  if (keys.kind === 'range') {
    first = keys.first;
    last = keys.last < 0 ? args.length + keys.last : keys.last;
    step = keys.step;
  } else if (keys.kind === 'keyword') {
    // XREAD ... STREAMS k1 k2 id1 id2: the first half after the keyword.
    let at = keys.startFrom;
    while (at < args.length && String(args[at]).toUpperCase() !== keys.keyword) at++;
    first = at + 1;
    last = at + ((args.length - at - 1) >> 1);
  } else {
    const count = Number(args[keys.index]);
    if (!Number.isInteger(count) || count <= 0) return args;
    first = keys.index + 1;
    last = keys.index + count;
  }
  const prefixed = args.slice();
  if (keys.kind === 'numkeys' && keys.destination !== undefined && keys.destination < args.length) {
    prefixed[keys.destination] = withPrefix(prefix, args[keys.destination]);
  }
  for (let i = first; i <= last && i < args.length; i += step) prefixed[i] = withPrefix(prefix, args[i]);
  return prefixed;
}

function withPrefix(prefix: string, key: RedisArg): RedisArg {
  return Buffer.isBuffer(key) ? Buffer.concat([Buffer.from(prefix), key]) : prefix + String(key);
}
