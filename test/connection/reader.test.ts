import assert from 'node:assert/strict';
import { it } from 'node:test';
import { inspect } from 'node:util';
import { forEachProtocol, uniqueKey } from '../helpers.js';

/** SETs `prefix:i` to a distinct `length`-character value for i < count; returns the values. */
async function storeDistinctValues(
  client: { set(key: string, value: string): Promise<unknown> },
  prefix: string,
  count: number,
  length: number,
): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) =>
    `${i}:`.padEnd(length, String.fromCharCode(97 + (i % 26))),
  );
  await Promise.all(values.map((value, i) => client.set(`${prefix}:${i}`, value)));
  return values;
}

/**
 * The reader gives way to the event loop part way through a chunk of many replies, so the callers
 * answered first send their next commands while the rest is decoded (client and server overlap
 * instead of taking turns). What must hold whatever it does: every reply answers its own command,
 * in order, across the chunks that arrive while it gives way.
 */
forEachProtocol((context) => {
  it('lets the first callers of a large batch run before it has read the whole chunk', async () => {
    const key = uniqueKey('reader');
    const calls = 300;
    const replies = Array.from({ length: calls }, () => context.client.incr(key));
    // When the first caller runs, has the last reply been read yet? (A promise's state can be
    // seen synchronously through inspect.) 300 small replies arrive in one chunk on loopback:
    // a reader that never gave way would have settled all of them before any caller ran.
    const lastPendingAtFirst = replies[0].then(() => inspect(replies[calls - 1]).includes('<pending>'));
    const followUp = replies[0].then(() => context.client.incr(key));
    assert.equal(await lastPendingAtFirst, true, `all ${calls} replies were read before any caller ran`);
    assert.deepStrictEqual(
      await Promise.all(replies),
      Array.from({ length: calls }, (_, i) => i + 1),
    );
    assert.equal(await followUp, calls + 1);
  });

  it('answers every command with its own reply while chunks arrive behind a pause', async () => {
    const prefix = uniqueKey('reader-values');
    const count = 2000;
    // 2000 replies of 1 KiB span many socket chunks, which queue up while the reader gives way.
    const values = await storeDistinctValues(context.client, prefix, count, 1024);
    const got = await Promise.all(values.map((_, i) => context.client.get(`${prefix}:${i}`)));
    for (let i = 0; i < count; i++) assert.equal(got[i], values[i], `reply ${i}`);
    // Interleaved with calls issued while earlier replies are being read.
    const mixed = await Promise.all(
      values.map((_, i) =>
        context.client
          .get(`${prefix}:${i}`)
          .then(async (first) => [first, await context.client.strlen(`${prefix}:${i}`)]),
      ),
    );
    for (let i = 0; i < count; i++) assert.deepStrictEqual(mixed[i], [values[i], 1024], `pair ${i}`);
  });
});

/**
 * Every TCP connection of the process reads into one shared buffer: a reader that gave way must
 * have copied the rest of its chunk, or the next read — of this socket or another — overwrites
 * it. Two clients' bursts are made to arrive together: the server is paused while both are sent,
 * so when it resumes both sockets are readable in the same turn of the event loop.
 */
forEachProtocol((context) => {
  it('keeps what a reader gave way in intact while other connections read', async () => {
    const prefix = uniqueKey('shared-read');
    const count = 400;
    const values = await storeDistinctValues(context.client, prefix, count, 700);
    const readers = [context.client, await context.newClient(), await context.newClient()];
    for (let round = 0; round < 5; round++) {
      await context.client.call('CLIENT', 'PAUSE', '150', 'ALL');
      const bursts = readers.map((client, r) =>
        Promise.all(values.map((_, i) => client.get(`${prefix}:${(i + r * 37) % count}`))),
      );
      const got = await Promise.all(bursts);
      for (let r = 0; r < readers.length; r++)
        for (let i = 0; i < count; i++)
          assert.equal(got[r][i], values[(i + r * 37) % count], `round ${round}, client ${r}, reply ${i}`);
    }
  });
});
