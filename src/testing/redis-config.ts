import type { TlsFiles } from './tls.js';

/** One redis.conf value; an array repeats the directive once per element (an empty array drops it). */
export type ConfigValue = string | number | Array<string | number>;

/** Extra redis.conf directives by name, e.g. `{ requirepass: 'pw', 'busy-reply-threshold': 100 }`. */
export type RedisConfig = Record<string, ConfigValue>;

/** Everything about a server's redis.conf that the harness decides rather than the caller. */
export interface ServerLayout {
  port: number;
  dir: string;
  logPath: string;
  persistence: boolean;
  tls?: TlsFiles;
  replicaOf?: { host: string; port: number };
}

// The harness must know these to find, probe and clean up the server, so they come from options.
const RESERVED = new Set(['port', 'tls-port', 'dir', 'logfile', 'daemonize', 'include']);

/**
 * Renders redis.conf: the harness defaults for `layout`, with every directive named in
 * `overrides` replacing the default lines of the same name. Override values are written
 * verbatim, so `'900 1'` is two arguments; quote a value yourself if it must contain spaces.
 */
export function renderConfig(layout: ServerLayout, overrides: RedisConfig = {}): string {
  const directives = new Map<string, string[]>(defaultDirectives(layout));
  for (const [name, value] of Object.entries(overrides)) {
    const directive = name.toLowerCase();
    if (RESERVED.has(directive)) {
      throw new TypeError(`config may not set '${directive}': the harness owns it (see StartRedisOptions)`);
    }
    directives.set(
      directive,
      (Array.isArray(value) ? value : [value]).map((item) => verbatim(directive, item)),
    );
  }
  let text = '';
  for (const [directive, values] of directives) {
    for (const value of values) text += `${directive} ${value}\n`;
  }
  return text;
}

/** The value of `name` in `config` as redis would see it (names are case-insensitive). */
export function configValue(config: RedisConfig | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(config ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.map(String).at(-1) : String(value);
  }
  return undefined;
}

function defaultDirectives(layout: ServerLayout): Array<[string, string[]]> {
  const directives: Array<[string, string[]]> = [
    ['bind', ['127.0.0.1']],
    ['protected-mode', ['no']],
    ['daemonize', ['no']],
    ['dir', [quote(layout.dir)]],
    ['logfile', [quote(layout.logPath)]],
    // Replicas otherwise wait 5 s before a diskless full sync starts; tests wait for that sync.
    ['repl-diskless-sync-delay', ['0']],
  ];
  if (!layout.persistence) directives.push(['save', ['""']], ['appendonly', ['no']]);
  if (layout.tls === undefined) {
    directives.push(['port', [String(layout.port)]]);
  } else {
    // Port 0 turns the plain listener off, so a client that forgets TLS fails loudly.
    directives.push(
      ['port', ['0']],
      ['tls-port', [String(layout.port)]],
      ['tls-cert-file', [quote(layout.tls.cert)]],
      ['tls-key-file', [quote(layout.tls.key)]],
      ['tls-ca-cert-file', [quote(layout.tls.caCert)]],
      ['tls-auth-clients', ['no']],
    );
  }
  if (layout.replicaOf !== undefined) {
    directives.push(['replicaof', [`${layout.replicaOf.host} ${layout.replicaOf.port}`]]);
  }
  return directives;
}

function verbatim(directive: string, value: string | number): string {
  const text = String(value);
  // A line break would smuggle in a directive of its own.
  if (/[\r\n]/.test(text)) throw new TypeError(`config value for '${directive}' contains a line break`);
  return text === '' ? '""' : text;
}

/** redis.conf splits on spaces but honours double quotes with backslash escapes. */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}
