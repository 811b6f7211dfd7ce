import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, slotOf } from '../../src/index.js';
import { Lock } from '../../src/patterns/index.js';
import { ResourceKeys } from '../../src/patterns/keys.js';

test('a plain name becomes the hash tag, so every key of the resource shares its slot', () => {
  const keys = new ResourceKeys('Test', 'app:lock:');
  const base = keys.base('Test', 'report:2026');
  assert.equal(base, 'app:lock:{report:2026}');
  assert.equal(slotOf(`${base}:fence`), slotOf(base));
  assert.equal(slotOf(base), slotOf('report:2026'));
});

test("a name with its own non-empty hash tag is used as it is, in that tag's slot", () => {
  const keys = new ResourceKeys('Test', 'app:');
  assert.equal(keys.base('Test', 'order:{42}:pay'), 'app:order:{42}:pay');
  assert.equal(slotOf('app:order:{42}:pay:fence'), slotOf('{42}'));
  // An empty tag is no tag: the name is wrapped, and its braces become part of the new tag.
  assert.equal(keys.base('Test', 'a{}b'), 'app:{a{}b}');
  assert.equal(slotOf('app:{a{}b}:x'), slotOf('app:{a{}b}:y'));
});

test('names that could scatter keys over slots, and braces in a prefix, are refused', () => {
  const keys = new ResourceKeys('Test', 'app:');
  assert.throws(() => keys.base('Test', '}x'), /starts with '\}' and has no \{hash tag\}/);
  assert.equal(keys.base('Test', 'x}y'), 'app:{x}y}', "a '}' later in the name leaves the tag 'x'");
  assert.throws(() => keys.base('Test', ''), /non-empty string, got an empty string/);
  assert.throws(() => keys.base('Test', null), /got null/);
  assert.throws(() => new ResourceKeys('Test', 'a{b}'), ArgumentError);
  assert.throws(() => new ResourceKeys('Test', ''), ArgumentError);
  assert.throws(() => new Lock({ prefix: '{all}:' }), /prefix must not contain/);
});
