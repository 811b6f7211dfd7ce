import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type Attributes,
  type Histogram,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import {
  type BatchContext,
  batchChannel,
  type CommandContext,
  commandChannel,
  type RedirectMessage,
  type ScriptLoadMessage,
} from '../telemetry/channels.js';

/**
 * OpenTelemetry for redmoon, with no patching: spans and metrics made from redmoon's
 * `node:diagnostics_channel` channels, following OpenTelemetry's database semantic conventions.
 *
 * ```ts
 * import { instrument } from 'redmoon/otel';
 * const stop = instrument(); // the global tracer and meter providers, or pass your own
 * ```
 *
 * Spans: one per command (`GET`, `EVALSHA`, ...) and one per pipeline or transaction
 * (`PIPELINE`, `MULTI`), of kind CLIENT, with `db.system.name` `redis`, `db.operation.name`,
 * `db.query.text` (arguments redacted: every value is `?` unless `queryText: 'full'`, and secrets
 * are never shown), `db.namespace` (the database index), `server.address`, `server.port`,
 * `db.operation.batch.size`, and `db.stored_procedure.name` for scripts (the SHA1) and functions
 * (the name). A script loaded because the server lacked it (NOSCRIPT) and a cluster redirect or
 * retry are events on the command's span. Metric: `db.client.operation.duration` (seconds).
 */
export interface InstrumentOptions {
  tracerProvider?: TracerProvider;
  meterProvider?: MeterProvider;
  /**
   * What `db.query.text` shows: `'redacted'` (default) the command and a `?` per argument;
   * `'full'` the arguments too (secrets still redacted, Buffers by size); `'none'` no query text.
   */
  queryText?: 'redacted' | 'full' | 'none';
}

const SYSTEM = 'redis';
const ignore = () => undefined;
/** The tracing events spans need nothing from: the span ends on `asyncEnd`, which follows `error`. */
const IGNORED = { end: ignore, asyncStart: ignore, error: ignore };
const MAX_QUERY_TEXT = 1024;

/** Starts instrumenting every redmoon client in the process; returns a function that stops. */
export function instrument(options: InstrumentOptions = {}): () => void {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer('redmoon');
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter('redmoon');
  const duration: Histogram = meter.createHistogram('db.client.operation.duration', {
    unit: 's',
    description: 'Duration of redmoon commands and batches',
  });
  const queryText = options.queryText ?? 'redacted';
  const spans = new WeakMap<object, { span: Span; started: number }>();

  const startSpan = (name: string, attributes: Attributes, context: object) => {
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
    spans.set(context, { span, started: performance.now() });
  };

  const finish = (context: CommandContext | BatchContext, operation: string) => {
    const entry = spans.get(context);
    if (entry === undefined) return;
    spans.delete(context);
    const { span, started } = entry;
    const attributes: Attributes = { 'db.system.name': SYSTEM, 'db.operation.name': operation };
    if (context.server !== undefined) {
      span.setAttribute('server.address', context.server.host);
      span.setAttribute('server.port', context.server.port);
      attributes['server.address'] = context.server.host;
      attributes['server.port'] = context.server.port;
    }
    if (context.error !== undefined) {
      const error = context.error as { code?: string; message?: string; name?: string };
      const type = error.code ?? error.name ?? 'Error';
      attributes['error.type'] = type;
      span.setAttribute('error.type', type);
      span.recordException(context.error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end();
    duration.record((performance.now() - started) / 1000, attributes);
  };

  const command = {
    ...IGNORED,
    start(message: unknown) {
      const context = message as CommandContext;
      const attributes: Attributes = {
        'db.system.name': SYSTEM,
        'db.system': SYSTEM,
        'db.operation.name': context.command,
      };
      if (queryText !== 'none') attributes['db.query.text'] = query(context, queryText);
      if (context.database !== undefined) attributes['db.namespace'] = String(context.database);
      if (context.script !== undefined) attributes['db.stored_procedure.name'] = context.script;
      startSpan(context.command, attributes, context);
    },
    asyncEnd(message: unknown) {
      const context = message as CommandContext;
      finish(context, context.command);
    },
  };
  const batch = {
    ...IGNORED,
    start(message: unknown) {
      const context = message as BatchContext;
      const name = context.kind === 'pipeline' ? 'PIPELINE' : 'MULTI';
      const attributes: Attributes = {
        'db.system.name': SYSTEM,
        'db.system': SYSTEM,
        'db.operation.name': name,
        'db.operation.batch.size': context.size,
      };
      if (queryText !== 'none') attributes['db.query.text'] = truncate(context.commands.join('; '));
      if (context.database !== undefined) attributes['db.namespace'] = String(context.database);
      startSpan(name, attributes, context);
    },
    asyncEnd(message: unknown) {
      const context = message as BatchContext;
      finish(context, context.kind === 'pipeline' ? 'PIPELINE' : 'MULTI');
    },
  };
  const onScriptLoad = (message: unknown) => {
    const load = message as ScriptLoadMessage;
    const entry = load.command === undefined ? undefined : spans.get(load.command);
    entry?.span.addEvent('redmoon.script_load', {
      'redmoon.script.sha1': load.sha1,
      'redmoon.script.kind': load.kind,
      'redmoon.script.reason': load.reason,
      'server.address': load.host,
      'server.port': load.port,
    });
  };
  const onRedirect = (message: unknown) => {
    const redirect = message as RedirectMessage;
    const entry = redirect.command === undefined ? undefined : spans.get(redirect.command);
    entry?.span.addEvent('redmoon.redirect', {
      'redmoon.redirect.reason': redirect.reason,
      'redmoon.redirect.attempt': redirect.attempt,
    });
  };

  commandChannel.subscribe(command);
  batchChannel.subscribe(batch);
  subscribe('redmoon:script-load', onScriptLoad);
  subscribe('redmoon:redirect', onRedirect);
  return () => {
    commandChannel.unsubscribe(command);
    batchChannel.unsubscribe(batch);
    unsubscribe('redmoon:script-load', onScriptLoad);
    unsubscribe('redmoon:redirect', onRedirect);
  };
}

function query(context: CommandContext, mode: 'redacted' | 'full'): string {
  const args = context.args();
  const shown = mode === 'full' ? args : args.map((arg) => (arg === '(redacted)' ? arg : '?'));
  return truncate([context.command, ...shown].join(' '));
}

function truncate(text: string): string {
  return text.length > MAX_QUERY_TEXT ? `${text.slice(0, MAX_QUERY_TEXT)}…` : text;
}
