import { type KeySpec, keysOf } from '../client/spec.js';
import { ClusterError } from '../errors.js';
import type { RedisArg } from '../resp/types.js';

/** Redis Cluster has 16384 hash slots. https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/ */
export const SLOT_COUNT = 16384;

/** CRC16-CCITT (XMODEM) table, as the cluster spec prescribes, built once at load. */
const CRC16_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  CRC16_TABLE[i] = crc;
}

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/**
 * The hash slot of a key. Only the part between the first `{` and the next `}` is hashed when
 * that part is non-empty (`{user1}.name` and `{user1}.email` share a slot).
 */
export function slotOf(key: RedisArg): number {
  const bytes =
    typeof key === 'string' ? asciiOrUtf8(key) : Buffer.isBuffer(key) ? key : Buffer.from(numberText(key));
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  return crc16(bytes, start, end) & (SLOT_COUNT - 1);
}

/** The text the encoder sends for a number key (infinities are `+inf`/`-inf` on the wire). */
function numberText(key: number | bigint): string {
  if (key === Number.POSITIVE_INFINITY) return '+inf';
  if (key === Number.NEGATIVE_INFINITY) return '-inf';
  return String(key);
}

const scratch = new Uint8Array(256);

/** Keys are usually short ASCII: hash them without allocating a Buffer. */
function asciiOrUtf8(key: string): Uint8Array {
  if (key.length <= scratch.length) {
    let ascii = true;
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      if (code > 127) {
        ascii = false;
        break;
      }
      scratch[i] = code;
    }
    if (ascii) return scratch.subarray(0, key.length);
  }
  return Buffer.from(key, 'utf8');
}

/** No keys: any node may serve the command. */
export const ANY_SLOT = -1;

/**
 * The one slot all `keys` hash to, or `ANY_SLOT` when there are none.
 * @throws ClusterError `CROSSSLOT` naming the keys and their slots, before anything is sent.
 */
export function commonSlot(commandName: string, keys: readonly RedisArg[]): number {
  if (keys.length === 0) return ANY_SLOT;
  const first = slotOf(keys[0]);
  for (let i = 1; i < keys.length; i++) {
    if (slotOf(keys[i]) !== first) {
      const shown = keys
        .slice(0, 8)
        .map((key) => `${formatKey(key)} (slot ${slotOf(key)})`)
        .join(', ');
      const more = keys.length > 8 ? ` and ${keys.length - 8} more` : '';
      throw new ClusterError(
        `${commandName}: keys in different hash slots cannot be used together on a cluster: ${shown}${more}; use a {hash tag} to put them in one slot`,
        'CROSSSLOT',
        false,
      );
    }
  }
  return first;
}

function formatKey(key: RedisArg): string {
  const text = Buffer.isBuffer(key) ? key.toString('utf8') : String(key);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/**
 * The slot of a call whose keys are where `keys` says among `args`, or `ANY_SLOT` without keys:
 * `commonSlot` without building the array of keys (this runs for every cluster command).
 * @throws ClusterError `CROSSSLOT`, as `commonSlot`.
 */
export function slotOfCall(commandName: string, keys: KeySpec, args: readonly RedisArg[]): number {
  let first: number;
  let last: number;
  let step = 1;
  switch (keys.kind) {
    case 'none':
      return ANY_SLOT;
    case 'range':
      first = keys.first;
      last = keys.last < 0 ? args.length + keys.last : keys.last;
      step = keys.step;
      break;
    case 'keyword':
      return commonSlot(commandName, keysOf(keys, args));
    case 'numkeys': {
      // A destination key before the count (ZUNIONSTORE) is rare enough for the general way.
      if (keys.destination !== undefined) return commonSlot(commandName, keysOf(keys, args));
      const count = Number(args[keys.index]);
      if (!Number.isInteger(count) || count <= 0) return ANY_SLOT;
      first = keys.index + 1;
      last = keys.index + count;
      break;
    }
  }
  if (last >= args.length) last = args.length - 1;
  if (first > last) return ANY_SLOT;
  const slot = slotOf(args[first]);
  for (let i = first + step; i <= last; i += step) {
    if (slotOf(args[i]) !== slot) return commonSlot(commandName, keysOf(keys, args));
  }
  return slot;
}
