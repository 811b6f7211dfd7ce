import { describe } from 'node:test';
import { forEachTarget } from '../targets.js';
import { hashTests } from './commands/hashes.js';
import { keyTests } from './commands/keys.js';
import { listTests } from './commands/lists.js';
import { scriptingTests } from './commands/scripting.js';
import { serverTests } from './commands/server.js';
import { setTests } from './commands/sets.js';
import { sortedSetTests } from './commands/sorted-sets.js';
import { stringTests } from './commands/strings.js';

// The described commands (src/client/commands/), one body per file of commands/, all run here on
// {RESP2, RESP3} x {standalone, cluster}: one file, so the suite starts one cluster, not one per
// command family (a fresh cluster takes seconds; see test/targets.ts). Run one family with
// --test-name-pattern, e.g. `--test-name-pattern=^hashes` (a describe name matches its tests).

forEachTarget((target) => {
  describe('strings', () => stringTests(target));
  describe('hashes', () => hashTests(target));
  describe('keys', () => keyTests(target));
  describe('lists', () => listTests(target));
  describe('server', () => serverTests(target));
  describe('sets', () => setTests(target));
  describe('sorted sets', () => sortedSetTests(target));
  describe('scripting', () => scriptingTests(target));
});
