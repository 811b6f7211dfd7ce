import { createHash } from 'node:crypto';

/** The SHA1 digest Redis uses to name a script, as lowercase hex, computed locally. */
export function sha1(lua: string | Buffer): string {
  return createHash('sha1').update(lua).digest('hex');
}
