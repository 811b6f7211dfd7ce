import type { ReplyError } from '../errors.js';

/** What may be sent as a key or argument. Anything else is refused before sending. */
export type RedisArg = string | Buffer | number | bigint;

/**
 * A decoded reply. Blob strings are `string` (UTF-8) or `Buffer` when buffers were requested;
 * integers are `number`, or `bigint` outside the safe range; RESP3 maps are `Map`, sets are
 * arrays; error replies nested in arrays (e.g. in `EXEC` results) are `ReplyError` values.
 */
export type RespValue =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | ReplyError
  | RespValue[]
  | Map<RespValue, RespValue>;
