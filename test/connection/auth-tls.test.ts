import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { Client, ReplyError } from '../../src/index.js';
import { type RedisServer, startRedis } from '../../src/testing/index.js';
import { PROTOCOLS } from '../helpers.js';

const SECRET = 's3cr3t-pa55word';

describe('AUTH', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis({ config: { requirepass: SECRET } });
    const admin = new Client({ port: server.port, password: SECRET });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', 'alice', 'on', '>alice-pw', '~*', '+@all');
    await admin.quit();
  });
  after(() => server.stop());

  for (const resp of PROTOCOLS) {
    test(`RESP${resp}: authenticates as a named user with username and password`, async () => {
      const client = new Client({
        port: server.port,
        username: 'alice',
        password: 'alice-pw',
        resp,
        name: 'alice-conn',
      });
      await client.connect();
      assert.equal(await client.call('ACL', 'WHOAMI'), 'alice');
      assert.equal(await client.call('CLIENT', 'GETNAME'), 'alice-conn');
      await client.quit();
    });

    test(`RESP${resp}: authenticates through the URL`, async () => {
      const client = new Client({ url: `redis://alice:alice-pw@127.0.0.1:${server.port}/2`, resp });
      await client.connect();
      assert.equal(await client.call('ACL', 'WHOAMI'), 'alice');
      assert.match(String(await client.call('CLIENT', 'INFO')), / db=2 /);
      await client.quit();
    });

    test(`RESP${resp}: a wrong password fails connect with WRONGPASS and never shows the password`, async () => {
      const client = new Client({ port: server.port, username: 'alice', password: SECRET, resp });
      await assert.rejects(client.connect(), (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.code, 'WRONGPASS');
        assert.ok(!error.message.includes(SECRET));
        assert.ok(!inspect(error).includes(SECRET));
        return true;
      });
      assert.ok(!inspect(client).includes(SECRET));
      assert.equal(client.status, 'closed');
    });
  }

  test('without a password the server answers NOAUTH', async () => {
    const client = new Client({ port: server.port, resp: 2 });
    await client.connect();
    await assert.rejects(client.call('GET', 'k'), { code: 'NOAUTH' });
    client.disconnect();
  });
});

describe('TLS', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis({ tls: true });
  });
  after(() => server.stop());

  for (const resp of PROTOCOLS) {
    test(`RESP${resp}: talks to a TLS-only server with the throwaway CA`, async () => {
      assert.match(server.url, /^rediss:/);
      const client = new Client({ url: server.url, resp, tls: { ca: server.tls!.ca } });
      await client.connect();
      assert.equal(await client.set('tls-key', 'over tls'), 'OK');
      assert.equal(await client.get('tls-key'), 'over tls');
      assert.ok(!inspect(client).includes(server.tls!.ca.toString().slice(40, 80)));
      await client.quit();
    });
  }

  test('refuses a server certificate it cannot verify', async () => {
    const client = new Client({ url: server.url, reconnect: false });
    await assert.rejects(client.connect(), { code: 'CONNECT_FAILED' });
  });
});

test('no object a user can reach shows the password when inspected', async () => {
  const server = await startRedis({ config: { requirepass: SECRET } });
  try {
    const client = new Client({ port: server.port, password: SECRET });
    await client.connect();
    const shown = [inspect(client, { depth: 5 }), inspect(client.withOptions({ timeout: 5 }), { depth: 5 })];
    shown.push(inspect(client._connectionFor(), { depth: 5 }), inspect(client.pipeline(), { depth: 5 }));
    for (const text of shown) assert.ok(!text.includes(SECRET), text);
    await client.quit();
  } finally {
    await server.stop();
  }
});
