import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, ProtocolError } from '../../src/index.js';
import { type RedisServer, startRedis } from '../../src/testing/index.js';
import { uniqueKey } from '../helpers.js';

// Redis 7.0 turns a Lua `{big_number='123  123'}` into the RESP3 line `(123  123`, which is no
// big number. The frame is intact, so only the command it answers may fail (issue 9, item 11).
const BAD_BIG_NUMBER = "return {big_number='123  123'}";

describe('A malformed value inside an intact frame (RESP3)', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    await server.stop();
  });

  test('fails the command it answers with a ProtocolError and leaves the others and the connection alone', async () => {
    const client = new Client({ url: server.url, resp: 3 });
    await client.connect();
    try {
      const id = await client.call('CLIENT', 'ID');
      let reconnects = 0;
      client.on('reconnecting', () => reconnects++);
      const key = uniqueKey();
      // Sent in one batch, so the bad reply arrives between good ones on the same socket.
      const before = client.set(key, 'v');
      const bad = client.eval(BAD_BIG_NUMBER);
      const afterward = client.get(key);
      const good = client.eval("return {big_number='123'}");
      await assert.rejects(bad, (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.code, 'ERR_PROTOCOL');
        assert.equal(error.mayHaveRun, true);
        assert.match(error.message, /big number "123 {2}123"/);
        return true;
      });
      assert.equal(await before, 'OK');
      assert.equal(await afterward, 'v');
      assert.equal(await good, 123n);
      assert.equal(await client.call('CLIENT', 'ID'), id, 'the same connection');
      assert.equal(reconnects, 0);
    } finally {
      client.disconnect();
    }
  });

  test('inside a pipeline fails that command only; the others settle with their values', async () => {
    const client = new Client({ url: server.url, resp: 3 });
    await client.connect();
    try {
      const pipeline = client.pipeline();
      const ping = pipeline.call('PING');
      const bad = pipeline.eval(BAD_BIG_NUMBER);
      const echo = pipeline.call('ECHO', 'after');
      // exec() gives values and reply errors only; any other failure rejects it as a whole.
      await assert.rejects(pipeline.exec(), ProtocolError);
      assert.equal(await ping, 'PONG');
      await assert.rejects(bad, ProtocolError);
      assert.equal(await echo, 'after');
      assert.equal(await client.call('PING'), 'PONG');
    } finally {
      client.disconnect();
    }
  });
});
