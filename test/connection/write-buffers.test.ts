import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniqueKey, useProxiedServer } from '../helpers.js';

// The writer encodes commands into a slab and hands the socket views of it, without copying; it
// starts the slab over only once the socket has written everything it was given. These tests hold
// the socket full (the proxy stops reading while it stalls, so TCP pushes back to the client) and
// go on sending: a slab started over too early would overwrite bytes still waiting in the socket,
// and the server would store other values than the ones sent, or read a broken command.

/** A distinct value of `length` characters for index `i`. */
function distinctValue(i: number, length: number): string {
  return `${i}:`.padEnd(length, String.fromCharCode(97 + (i % 26)));
}

// Over TLS the socket encrypts (so copies) what it is given as it takes it: starting over too early
// would not show there. The TLS run checks that path end to end under backpressure; the plain one
// is what fails if the slab is started over while the socket still holds views of it.
for (const tls of [false, true]) {
  describe(`slab reuse under backpressure${tls ? ', over TLS' : ''}`, () => {
    const context = useProxiedServer(3, { commandTimeout: 20_000 }, { tls });
    it('stores exactly what was sent when the socket is full for a while', async () => {
      const { client, proxy, reader } = context;
      const prefix = uniqueKey('backpressure');
      // The handshake is through; from the next request on, requests stall for 400 ms, once.
      const stall = proxy.addFault({ kind: 'stall', direction: 'request', ms: 400, times: 1 });
      const turns = 120;
      const perTurn = 500;
      const length = 1000;
      const writes: Promise<unknown>[] = [];
      for (let turn = 0; turn < turns; turn++) {
        // ~500 KB a turn, 60 MB in all: more than the proxy's 4 MiB and the kernel's buffers (up to 32 MiB here) hold.
        for (let j = 0; j < perTurn; j++) {
          const i = turn * perTurn + j;
          writes.push(client.set(`${prefix}:${i}`, distinctValue(i, length)));
        }
        // Let the turn's batch be written before the next is encoded.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(writes);
      stall.remove();
      assert.ok(proxy.counters.injected.stall >= 1, 'the stall was injected');
      const count = turns * perTurn;
      const keys = Array.from({ length: count }, (_, i) => `${prefix}:${i}`);
      for (let from = 0; from < count; from += 1000) {
        const got = await reader.mget(...keys.slice(from, from + 1000));
        for (let k = 0; k < got.length; k++) {
          const i = from + k;
          if (got[k] !== distinctValue(i, length))
            assert.fail(`key ${i} holds ${String(got[k]).slice(0, 20)}…`);
        }
      }
      assert.equal(await client.ping(), 'PONG');
    });
  });
}
