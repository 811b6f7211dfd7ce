import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha1 } from '../../src/index.js';

// The server's own digest is compared in test/client/commands/scripting.ts (SCRIPT LOAD).

test('sha1 is the lowercase hex SHA1 digest of the UTF-8 bytes', () => {
  assert.equal(sha1(''), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  assert.equal(sha1('return 1'), 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
  assert.equal(sha1(Buffer.from('return 1')), sha1('return 1'));
  assert.equal(sha1('é'), sha1(Buffer.from([0xc3, 0xa9])));
});
