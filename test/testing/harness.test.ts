import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as connectTcp, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import { type RedisServer, startCluster, startRedis } from '../../src/testing/index.js';
import { findFreePort } from '../../src/testing/ports.js';
import { assertReaped, eventually, processGone } from './process-helpers.js';
// Fails this file if it lives on after its last test instead of letting it hang (see there).
import '../linger-guard.js';

// These tests check the harness from the outside, with their own few lines of RESP and with
// redis-cli, so a bug in the harness's wire code cannot hide itself.

const run = promisify(execFile);

/**
 * Sends one command and returns its reply as text: simple strings and bulk strings as their
 * value, integers as digits, errors with their leading '-', a null bulk string as null.
 */
function resp(port: number, args: string[], tls?: { ca: Buffer }): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket: Socket =
      tls === undefined
        ? connectTcp({ host: '127.0.0.1', port })
        : connectTls({ host: '127.0.0.1', port, ca: tls.ca });
    let received = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('timed out waiting for a reply')));
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${JSON.stringify(received)}`)));
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      const lineEnd = received.indexOf('\r\n');
      if (lineEnd === -1) return;
      const line = received.slice(0, lineEnd);
      let reply: string | null;
      if (line[0] === '$') {
        const length = Number(line.slice(1));
        if (length >= 0 && received.length < lineEnd + 2 + length + 2) return;
        reply = length < 0 ? null : received.slice(lineEnd + 2, lineEnd + 2 + length);
      } else {
        reply = line[0] === '-' ? line : line.slice(1);
      }
      resolve(reply);
      socket.destroy();
    });
    const bulkStrings = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
    socket.write(`*${args.length}\r\n${bulkStrings.join('')}`);
  });
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
  return stdout.trim();
}

async function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function withServer<T>(server: RedisServer, body: (server: RedisServer) => Promise<T>): Promise<T> {
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

const compiledHarness = new URL('../../src/testing/index.js', import.meta.url).href;

describe('startRedis', () => {
  test('starts a server that answers PING and SET/GET at the url it reports', async () => {
    await withServer(await startRedis(), async (server) => {
      assert.equal(server.host, '127.0.0.1');
      assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
      assert.ok(server.pid > 0);
      assert.equal(await resp(server.port, ['PING']), 'PONG');
      assert.equal(await resp(server.port, ['SET', 'greeting', 'hello']), 'OK');
      assert.equal(await resp(server.port, ['GET', 'greeting']), 'hello');
    });
  });

  test('listens on the port it is given', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    await withServer(await startRedis({ port }), async (server) => {
      assert.equal(server.port, port);
      assert.equal(await resp(port, ['PING']), 'PONG');
    });
  });

  test('applies extra config directives', async () => {
    await withServer(
      await startRedis({ config: { maxmemory: 12345678, 'busy-reply-threshold': 100 } }),
      async (server) => {
        assert.equal(await redisCli(server.port, 'CONFIG', 'GET', 'maxmemory'), 'maxmemory\n12345678');
        assert.equal(
          await redisCli(server.port, 'CONFIG', 'GET', 'busy-reply-threshold'),
          'busy-reply-threshold\n100',
        );
      },
    );
  });

  test('turns persistence off unless asked for', async () => {
    await withServer(await startRedis(), async (server) => {
      assert.equal(await redisCli(server.port, 'CONFIG', 'GET', 'save'), 'save');
      assert.equal(await redisCli(server.port, 'CONFIG', 'GET', 'appendonly'), 'appendonly\nno');
    });
  });

  test('with requirepass, answers NOAUTH until the client authenticates', async () => {
    await withServer(await startRedis({ config: { requirepass: 'sesame' } }), async (server) => {
      assert.match((await resp(server.port, ['PING'])) ?? '', /^-NOAUTH/);
      assert.equal(await redisCli(server.port, '-a', 'sesame', '--no-auth-warning', 'PING'), 'PONG');
    });
  });

  test('refuses config directives the harness owns', async () => {
    await assert.rejects(startRedis({ config: { port: 1234 } }), TypeError);
  });

  test('rejects with the server output when redis-server refuses the config', async () => {
    await assert.rejects(startRedis({ config: { 'no-such-directive': 'yes' } }), (error: Error) => {
      assert.match(error.message, /did not start/);
      assert.match(error.message, /Bad directive or wrong number of arguments/);
      return true;
    });
  });

  test('rejects with the log tail when the requested port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      await assert.rejects(startRedis({ port }), /Address already in use/);
    } finally {
      blocker.close();
    }
  });

  test('a port taken by another redis-server is not mistaken for a started server', async () => {
    // The other server answers PING on that port until the new process fails to bind and exits;
    // the harness must not take that answer for the new server's (CI once got a six-node cluster
    // with two "nodes" on one port this way, and it never converged).
    await withServer(await startRedis(), async (other) => {
      for (let attempt = 0; attempt < 5; attempt++) {
        await assert.rejects(startRedis({ port: other.port }), /Address already in use/);
      }
      assert.equal(await resp(other.port, ['PING']), 'PONG');
    });
  });

  test("servers started together get distinct ports, none of them another node's bus port", async () => {
    const ports = await Promise.all(Array.from({ length: 64 }, () => findFreePort({ clusterBus: true })));
    const taken = new Set<number>();
    for (const port of ports) {
      assert.ok(!taken.has(port) && !taken.has(port + 10_000), `port ${port} was handed out twice`);
      taken.add(port).add(port + 10_000);
    }
  });

  test('rejects when the redis-server binary does not exist', async () => {
    await assert.rejects(startRedis({ redisServerPath: '/nonexistent/redis-server' }), /ENOENT/);
  });

  test('restart() comes back on the same port with a new process', async () => {
    await withServer(await startRedis(), async (server) => {
      const { port, pid } = server;
      await server.restart();
      assert.equal(server.port, port);
      assert.notEqual(server.pid, pid);
      assert.ok(await eventually(() => processGone(pid), 2000));
      assert.equal(await resp(server.port, ['PING']), 'PONG');
    });
  });

  test('restart() loses the data when persistence is off', async () => {
    await withServer(await startRedis(), async (server) => {
      await resp(server.port, ['SET', 'k', 'v']);
      await server.restart();
      assert.equal(await resp(server.port, ['GET', 'k']), null);
    });
  });

  test('restart() keeps the data when persistence is on', async () => {
    await withServer(await startRedis({ persistence: true }), async (server) => {
      await resp(server.port, ['SET', 'k', 'v']);
      await server.restart();
      assert.equal(await resp(server.port, ['GET', 'k']), 'v');
    });
  });

  test('stop() ends the process, frees the port and removes the temp dir', async () => {
    const server = await startRedis();
    const { port, pid, dir } = server;
    assert.ok(existsSync(dir));
    await server.stop();
    assert.ok(await refusesConnections(port));
    assert.ok(!existsSync(dir));
    assert.ok(await eventually(() => processGone(pid), 2000));
    await server.stop();
  });

  test('stop() keeps a dir the caller gave, so a new server can start on its data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redmoon-harness-test-'));
    try {
      const first = await startRedis({ dir, persistence: true });
      await resp(first.port, ['SET', 'k', 'kept']);
      await first.stop();
      assert.ok(existsSync(join(dir, 'dump.rdb')));
      await withServer(await startRedis({ dir, persistence: true }), async (second) => {
        assert.equal(await resp(second.port, ['GET', 'k']), 'kept');
      });
      assert.ok(existsSync(dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('kill() ends the process but keeps the dir, and restart() brings it back', async () => {
    await withServer(await startRedis(), async (server) => {
      const { pid } = server;
      await server.kill();
      assert.ok(await refusesConnections(server.port));
      assert.ok(existsSync(join(server.dir, 'redis.conf')));
      assert.ok(await eventually(() => processGone(pid), 2000));
      await server.restart();
      assert.equal(await resp(server.port, ['PING']), 'PONG');
    });
  });

  test('replicaOf starts a replica that receives the primary’s writes', async () => {
    await withServer(await startRedis(), async (primary) => {
      await withServer(
        await startRedis({ replicaOf: { host: primary.host, port: primary.port } }),
        async (replica) => {
          assert.match(await redisCli(replica.port, 'INFO', 'replication'), /role:slave/);
          await resp(primary.port, ['SET', 'k', 'replicated']);
          assert.ok(
            // The replica's first sync starts after startRedis returns: allow a loaded machine for it.
            await eventually(async () => (await resp(replica.port, ['GET', 'k'])) === 'replicated', 15_000),
          );
        },
      );
    });
  });
});

describe('startRedis with tls', () => {
  test('serves TLS only, trusted through the generated CA', async () => {
    await withServer(await startRedis({ tls: true }), async (server) => {
      assert.ok(server.tls);
      assert.equal(server.url, `rediss://127.0.0.1:${server.port}`);
      assert.match(server.tls.ca.toString(), /BEGIN CERTIFICATE/);
      assert.ok(
        existsSync(server.tls.caPath) && existsSync(server.tls.certPath) && existsSync(server.tls.keyPath),
      );
      assert.equal(await resp(server.port, ['PING'], { ca: server.tls.ca }), 'PONG');
      await assert.rejects(resp(server.port, ['PING']));
    });
  });

  test('accepts the caller’s own certificate files', async () => {
    await withServer(await startRedis({ tls: true }), async (first) => {
      const files = { caCert: first.tls!.caPath, cert: first.tls!.certPath, key: first.tls!.keyPath };
      await withServer(await startRedis({ tls: files }), async (second) => {
        assert.deepEqual(second.tls?.ca, first.tls?.ca);
        assert.equal(await resp(second.port, ['PING'], { ca: first.tls!.ca }), 'PONG');
      });
    });
  });
});

describe('startCluster', () => {
  test('starts 3 primaries with a replica each, all agreeing on full slot coverage', async () => {
    const cluster = await startCluster({ primaries: 3, replicasPerPrimary: 1 });
    try {
      assert.equal(cluster.nodes.length, 6);
      assert.equal(cluster.primaries.length, 3);
      assert.equal(cluster.replicas.length, 3);
      assert.deepEqual(
        cluster.urls,
        cluster.nodes.map((node) => `redis://127.0.0.1:${node.port}`),
      );
      for (const node of cluster.nodes) {
        const info = await redisCli(node.port, 'CLUSTER', 'INFO');
        assert.match(info, /cluster_state:ok/);
        assert.match(info, /cluster_slots_ok:16384/);
        assert.match(info, /cluster_known_nodes:6/);
      }
      for (const primary of cluster.primaries) assert.match(await redisCli(primary.port, 'ROLE'), /^master/);
      for (const replica of cluster.replicas) assert.match(await redisCli(replica.port, 'ROLE'), /^slave/);
      // primaries[0] owns slot 0: the key "{06S}" hashes to slot 0.
      assert.equal(await redisCli(cluster.primaries[0].port, 'CLUSTER', 'KEYSLOT', '{06S}'), '0');
      assert.equal(await resp(cluster.primaries[0].port, ['SET', '{06S}', 'x']), 'OK');
    } finally {
      await cluster.stop();
    }
    for (const node of cluster.nodes) assert.ok(await refusesConnections(node.port));
  });

  test('refuses fewer than 3 primaries', async () => {
    await assert.rejects(startCluster({ primaries: 1 }), RangeError);
  });
});

describe('reaping', () => {
  test('a process that exits without stopping its server leaves no redis-server behind', async () => {
    const script = `
      const { startRedis } = await import(${JSON.stringify(compiledHarness)});
      const server = await startRedis();
      console.log(server.pid);
      process.exit(0);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const pid = Number(stdout.trim());
    assert.ok(pid > 0, `child printed ${stdout}`);
    await assertReaped([pid]);
  });

  test('SIGTERM reaps the servers and still ends the process by SIGTERM', async () => {
    const script = `
      const { startRedis } = await import(${JSON.stringify(compiledHarness)});
      const server = await startRedis();
      console.log(server.pid);
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const firstLine = await new Promise<string>((resolve) => {
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('\n')) resolve(output.trim());
      });
    });
    const pid = Number(firstLine);
    try {
      child.kill('SIGTERM');
      assert.equal(await exited, 'SIGTERM');
      assert.ok(await eventually(() => processGone(pid), 2000), `redis-server ${pid} outlived its parent`);
    } finally {
      if (!processGone(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
