import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, test } from 'node:test';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Client, Script } from '../../src/index.js';
import { instrument } from '../../src/otel/index.js';
import { type RedisServer, startRedis } from '../../src/testing/index.js';
import { forEachProtocol, repoRoot, uniqueKey } from '../helpers.js';

forEachProtocol((redis) => {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 60_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  let stop: () => void;
  before(() => {
    stop = instrument({ tracerProvider, meterProvider });
  });
  after(() => stop());

  test('a command becomes a CLIENT span with the database semantic conventions, arguments redacted', async () => {
    exporter.reset();
    const key = uniqueKey('otel');
    await redis.client.set(key, 'secret-value');
    const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'SET');
    assert.ok(span, 'no SET span');
    assert.equal(span.kind, 2); // SpanKind.CLIENT
    assert.equal(span.attributes['db.system.name'], 'redis');
    assert.equal(span.attributes['db.operation.name'], 'SET');
    assert.equal(span.attributes['db.query.text'], 'SET ? ?');
    assert.equal(span.attributes['server.address'], redis.server.host);
    assert.equal(span.attributes['server.port'], redis.server.port);
    assert.equal(span.attributes['db.namespace'], '0');
    assert.ok(!JSON.stringify(span.attributes).includes('secret-value'));
  });

  test('an error reply marks the span as failed with its code', async () => {
    exporter.reset();
    const key = uniqueKey('otel-list');
    await redis.client.rpush(key, 'a');
    await assert.rejects(redis.client.incr(key));
    const span = exporter.getFinishedSpans().find((s) => s.name === 'INCR');
    assert.ok(span);
    assert.equal(span.status.code, 2); // SpanStatusCode.ERROR
    assert.equal(span.attributes['error.type'], 'WRONGTYPE');
  });

  test('a NOSCRIPT reload is an event on the script call’s span, which names the script', async () => {
    exporter.reset();
    const script = Script.fromLua(`return ${Date.now() % 100000} -- otel ${redis.resp}`);
    await redis.client.scriptFlush();
    assert.equal(typeof (await script.evalshaWithReload(redis.client)), 'number');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'EVALSHA');
    assert.ok(span);
    assert.equal(span.attributes['db.stored_procedure.name'], script.sha1);
    const load = span.events.find((event) => event.name === 'redmoon.script_load');
    assert.ok(load, 'no script_load event');
    assert.equal(load.attributes?.['redmoon.script.reason'], 'NOSCRIPT');
  });

  test('a pipeline is one span with its batch size; secrets never reach query text', async () => {
    exporter.reset();
    const pipe = redis.client.pipeline();
    pipe.incr(uniqueKey('b'));
    pipe.incr(uniqueKey('b'));
    await pipe.exec();
    const span = exporter.getFinishedSpans().find((s) => s.name === 'PIPELINE');
    assert.ok(span);
    assert.equal(span.attributes['db.operation.batch.size'], 2);

    const full = instrument({ tracerProvider, meterProvider, queryText: 'full' });
    try {
      exporter.reset();
      await redis.client.call('CONFIG', 'SET', 'requirepass', '').catch(() => undefined);
      await redis.client.call('AUTH', 'hunter2-password').catch(() => undefined);
      const texts = exporter.getFinishedSpans().map((s) => String(s.attributes['db.query.text']));
      assert.ok(
        texts.some((text) => text.startsWith('AUTH')),
        texts.join(' | '),
      );
      assert.ok(!texts.some((text) => text.includes('hunter2')), texts.join(' | '));
    } finally {
      full();
    }
  });

  test('operation durations are recorded as db.client.operation.duration', async () => {
    await redis.client.get(uniqueKey('m'));
    await reader.forceFlush();
    const names = metricExporter
      .getMetrics()
      .flatMap((resource) =>
        resource.scopeMetrics.flatMap((scope) => scope.metrics.map((m) => m.descriptor.name)),
      );
    assert.ok(names.includes('db.client.operation.duration'), names.join(','));
  });
});

let server: RedisServer;
before(async () => {
  server = await startRedis();
});
after(() => server.stop());

test('the diagnostics channels publish connects and commands, and nothing once unsubscribed', async () => {
  const connects: unknown[] = [];
  const onConnect = (message: unknown) => connects.push(message);
  subscribe('redmoon:connect', onConnect);
  const starts: string[] = [];
  const onStart = (message: unknown) => starts.push((message as { command: string }).command);
  subscribe('tracing:redmoon:command:start', onStart);
  const client = new Client({ url: server.url });
  try {
    await client.connect();
    await client.ping();
    unsubscribe('tracing:redmoon:command:start', onStart);
    await client.echo('after');
    assert.deepEqual(starts, ['PING']);
    assert.equal(connects.length, 1);
    assert.equal((connects[0] as { port: number }).port, server.port);
  } finally {
    unsubscribe('redmoon:connect', onConnect);
    await client.quit();
  }
});

test('NODE_DEBUG=redmoon logs connection events without the password', () => {
  const program = `
    import { Client } from 'redmoon';
    const client = new Client({ url: 'redis://:wrong-s3cret@127.0.0.1:${server.port}', reconnect: false });
    // The default user takes any password when none is set: this one may well connect.
    await client.connect().catch(() => {});
    client.disconnect();
    const ok = new Client({ url: '${server.url}' });
    await ok.connect();
    await ok.quit();
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    cwd: repoRoot(),
    timeout: 20_000,
    env: { ...process.env, NODE_DEBUG: 'redmoon' },
    encoding: 'utf8',
  });
  assert.match(result.stderr, /REDMOON \d+: ready 127\.0\.0\.1:\d+/);
  assert.ok(!result.stderr.includes('wrong-s3cret'), result.stderr);
});
