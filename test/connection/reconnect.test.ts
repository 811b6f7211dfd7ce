import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Client, ConnectionError } from '../../src/index.js';
import { startRedis } from '../../src/testing/index.js';
import { PROTOCOLS, uniqueKey, waitForBlocked, within } from '../helpers.js';

const servers: Array<{ stop(): Promise<void> }> = [];
after(async () => {
  for (const server of servers) await server.stop();
});

/** Observes a promise's outcome now, so a rejection that is checked later is not "unhandled". */
function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

function rethrow(outcome: unknown): unknown {
  const { error, value } = outcome as { error?: unknown; value?: unknown };
  if (error !== undefined) throw error;
  return value;
}

/** The client's next `event`, or a rejection after `ms`. Call it before what should cause the event. */
function waitFor(client: Client, event: string, ms = 10_000): Promise<unknown> {
  return within(new Promise((resolve) => client.once(event, resolve)), ms, `the client's '${event}' event`);
}

for (const resp of PROTOCOLS) {
  test(`RESP${resp}: after a restart, queued commands succeed and in-flight writes fail as may-have-run`, async () => {
    const server = await startRedis();
    servers.push(server);
    const client = new Client({ url: server.url, resp, reconnect: { initialDelay: 20, maxDelay: 100 } });
    await client.connect();
    const key = uniqueKey();
    await client.set(key, 'before');

    // A write in flight when the server dies: BLPOP holds the reply back until the kill.
    const inFlightWrite = settle(client.call('BLPOP', uniqueKey('never'), 0));
    // In flight means sent: wait until the server runs it (on a dedicated connection, which may
    // take longer than a fixed sleep to connect on a loaded machine).
    const observer = new Client({ url: server.url, reconnect: false });
    await observer.connect();
    await waitForBlocked(observer, 1);
    observer.disconnect();
    const reconnecting = waitFor(client, 'reconnecting');
    await server.kill('SIGKILL');
    await reconnecting;
    assert.equal(client.status === 'reconnecting' || client.status === 'connecting', true);

    // Issued while the server is down: queued, then sent after the handshake on the new socket.
    const queued = [client.set(key, 'after'), client.incr(uniqueKey('counter')), client.get(key)];
    await server.restart();
    assert.deepEqual(await within(Promise.all(queued), 10_000, 'the commands queued during the outage'), [
      'OK',
      1,
      'after',
    ]);
    await assert.rejects(inFlightWrite.then(rethrow), (error: unknown) => {
      assert.ok(error instanceof ConnectionError);
      assert.equal(error.code, 'CONNECTION_LOST');
      assert.equal(error.mayHaveRun, true);
      assert.match(error.message, /may have been applied/);
      return true;
    });
    assert.equal(client.status, 'ready');
    client.disconnect();
  });
}

test('a read-only command in flight when the connection drops is sent again; a write is not', async () => {
  const server = await startRedis();
  servers.push(server);
  const client = new Client({ url: server.url, reconnect: { initialDelay: 10, maxDelay: 50 } });
  await client.connect();
  const key = uniqueKey();
  // Freeze the server so both commands are written but unanswered, then kill it.
  process.kill(server.pid, 'SIGSTOP');
  const read = client.get(key);
  const write = settle(client.set(key, 'v'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const reconnecting = waitFor(client, 'reconnecting');
  await server.kill('SIGKILL');
  await reconnecting;
  await server.restart();
  assert.equal(await within(read, 10_000, 'the read sent again after the reconnect'), null);
  await assert.rejects(write.then(rethrow), { code: 'CONNECTION_LOST', mayHaveRun: true });
  assert.equal(await client.get(key), null);
  client.disconnect();
});

test('gives up after maxAttempts and fails queued commands as not run', async () => {
  const server = await startRedis();
  servers.push(server);
  const client = new Client({
    url: server.url,
    reconnect: { initialDelay: 5, maxDelay: 10, maxAttempts: 2 },
  });
  await client.connect();
  const ended = waitFor(client, 'end');
  await server.stop();
  const queued = client.get('k');
  await ended;
  await assert.rejects(queued, (error: unknown) => {
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.mayHaveRun, false);
    return true;
  });
  assert.equal(client.status, 'closed');
});

test('the first connect to a closed port rejects with CONNECT_FAILED', async () => {
  const server = await startRedis();
  const port = server.port;
  await server.stop();
  const client = new Client({ port });
  await assert.rejects(client.connect(), (error: unknown) => {
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.code, 'CONNECT_FAILED');
    assert.match(error.message, /ECONNREFUSED/);
    return true;
  });
});

test('the offline queue is bounded: past maxQueuedCommands calls fail with QUEUE_FULL', async () => {
  const server = await startRedis();
  servers.push(server);
  const client = new Client({ url: server.url, maxQueuedCommands: 3, reconnect: { initialDelay: 5000 } });
  await client.connect();
  const reconnecting = waitFor(client, 'reconnecting');
  await server.kill('SIGKILL');
  await reconnecting;
  const accepted = [client.get('a'), client.get('b'), client.get('c')];
  await assert.rejects(client.get('d'), { code: 'QUEUE_FULL', mayHaveRun: false });
  client.disconnect();
  for (const call of accepted) await assert.rejects(call, { code: 'CONNECTION_CLOSED', mayHaveRun: false });
});

test('with the offline queue disabled, calls while disconnected fail at once', async () => {
  const server = await startRedis();
  servers.push(server);
  const client = new Client({ url: server.url, offlineQueue: false, reconnect: { initialDelay: 5000 } });
  await client.connect();
  const reconnecting = waitFor(client, 'reconnecting');
  await server.kill('SIGKILL');
  await reconnecting;
  await assert.rejects(client.get('a'), { code: 'NOT_CONNECTED', mayHaveRun: false });
  client.disconnect();
});

test('a large write flushed at once (past the batching threshold) is never resent after a connection loss', async () => {
  const server = await startRedis();
  servers.push(server);
  const client = new Client({ url: server.url, reconnect: { initialDelay: 10, maxDelay: 50 } });
  await client.connect();
  const key = uniqueKey();
  process.kill(server.pid, 'SIGSTOP');
  const write = settle(client.set(key, 'x'.repeat(300 * 1024)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const reconnecting = waitFor(client, 'reconnecting');
  await server.kill('SIGKILL');
  await reconnecting;
  await server.restart();
  await assert.rejects(write.then(rethrow), { code: 'CONNECTION_LOST', mayHaveRun: true });
  assert.equal(await within(client.get(key), 10_000, 'a GET after the reconnect'), null);
  client.disconnect();
});
