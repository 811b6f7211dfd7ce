import { relative } from 'node:path';
import { after } from 'node:test';

// A test file whose tests are all done but whose process lives on holds something open: most
// often a client that a failed test never closed, reconnecting for ever to a server the suite's
// after hook stopped. Node 20's runner waits for such a process without end (scripts/test.mjs
// fails the file after 300 s, CI's whole budget being 1200). This fails it LINGER_MS after its
// last test instead, naming what it still holds (long enough for the file's own after hooks to
// stop its servers, which run meanwhile). A file that closes what it opened exits as soon as its
// tests are done: the timer is unref'd and never fires.
//
// Imported for this effect, once per test process: by test/helpers.ts, and by the test files
// that start servers without it.

const LINGER_MS = 30_000;

after(() => {
  const timer = setTimeout(() => {
    const held = new Map<string, number>();
    for (const resource of process.getActiveResourcesInfo())
      held.set(resource, (held.get(resource) ?? 0) + 1);
    const shown = [...held].map(([resource, count]) => `${resource} x${count}`).join(', ');
    process.stderr.write(
      `\n# ${relative(process.cwd(), process.argv[1] ?? '?')}: still running ${LINGER_MS / 1000} s after ` +
        `its last test, holding ${shown}; ended as failed (something it opened was never closed)\n`,
    );
    process.exit(1);
  }, LINGER_MS);
  timer.unref();
});
