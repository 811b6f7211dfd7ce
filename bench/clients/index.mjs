// The clients the benchmark knows, in table order, and the error an adapter throws for a case
// its client cannot run (the cell then reads "n/a" with the reason, instead of an error).

/** Client name → adapter module (relative to this file) and the npm package whose version is shown. */
export const CLIENTS = {
  redmoon: { module: './redmoon.mjs', pkg: 'redmoon', label: 'redmoon' },
  ioredis: { module: './ioredis.mjs', pkg: 'ioredis', label: 'ioredis' },
  'node-redis': { module: './node-redis.mjs', pkg: 'redis', label: 'node-redis' },
  glide: { module: './glide.mjs', pkg: '@valkey/valkey-glide', label: 'glide' },
  // Not in the default set: the build REDMOON_BASE_ENTRY points at (an earlier commit's dist/esm),
  // for before/after comparisons of a change in one run: `--clients redmoon,redmoon-base`.
  'redmoon-base': { module: './redmoon.mjs', pkg: 'redmoon', label: 'redmoon (base)', optional: true },
  // Not in the default set: redmoon with OpenTelemetry tracing on (redmoon/otel, spans to an SDK
  // tracer provider with a processor that drops them), for the cost of telemetry.
  'redmoon-otel': { module: './redmoon.mjs', pkg: 'redmoon', label: 'redmoon (otel on)', optional: true },
  // Not in the default set: ioredis with its opt-in `enableAutoPipelining`, for comparison.
  'ioredis-ap': { module: './ioredis.mjs', pkg: 'ioredis', label: 'ioredis (autopipeline)', optional: true },
};

export const DEFAULT_CLIENTS = Object.keys(CLIENTS).filter((name) => !CLIENTS[name].optional);

export class NotAvailable extends Error {
  name = 'NotAvailable';
}

/** `redis://host:port` → `{ host, port }`. */
export function hostPort(url) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}
