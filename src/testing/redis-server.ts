import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, LOOPBACK } from './ports.js';
import { type Endpoint, waitUntilReady } from './probe.js';
import { type Reapable, track, untrack } from './reaper.js';
import { configValue, type RedisConfig, renderConfig, type ServerLayout } from './redis-config.js';
import { generateTlsFiles, loadTlsMaterial, type TlsFiles, type TlsMaterial } from './tls.js';

/** How {@link startRedis} sets up a server; every field is optional. */
export interface StartRedisOptions {
  /** Port to listen on (the TLS port when `tls` is set). Default: a free loopback port. */
  port?: number;
  /** Extra redis.conf directives; they replace the harness defaults of the same name. */
  config?: RedisConfig;
  /** Keep Redis's own save points instead of `save ""` and `appendonly no`. Default false. */
  persistence?: boolean;
  /** Serve TLS only: `true` generates a throwaway CA and certificate, or pass your own files. */
  tls?: boolean | TlsFiles;
  /** The redis-server binary. Default: `redis-server` from PATH. */
  redisServerPath?: string;
  /** How long to wait for the first PONG before giving up. Default 10000. */
  startTimeoutMs?: number;
  /** Start as a replica of this server. */
  replicaOf?: { host: string; port: number };
  /** Data directory to use and keep (to restart on the same data). Default: a fresh temp dir, removed by stop(). */
  dir?: string;
}

/** A running redis-server owned by this process; reaped automatically if this process exits. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT`, or `rediss://...` when serving TLS. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Process id of the current redis-server (it changes on restart()). */
  readonly pid: number;
  /** The data directory; it holds redis.conf and redis.log too. */
  readonly dir: string;
  /** TLS material when serving TLS; `ca` is what a client needs to trust the server. */
  readonly tls?: TlsMaterial;
  /** SIGTERM, wait for exit (SIGKILL after a few seconds), and remove the dir unless it was given. */
  stop(): Promise<void>;
  /**
   * Send `signal` (default SIGKILL) and wait for the exit; the dir is kept, e.g. for restart().
   * Rejects if the process is still alive 5 s later, so signals that do not end it are no use here.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stop if running and start again on the same port, dir and config; resolves once it answers PING. */
  restart(): Promise<void>;
}

/** Starts a redis-server on loopback and resolves once it answers PING. */
export function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  return RedisServerProcess.start(options, 'server');
}

/** Starts `redis-server <conf> --sentinel`: a Sentinel, started, probed and reaped like a server. */
export function startSentinelProcess(options: StartRedisOptions): Promise<RedisServer> {
  return RedisServerProcess.start(options, 'sentinel');
}

type ProcessMode = 'server' | 'sentinel';

const DEFAULT_START_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;
const STOP_GRACE_MS = 3_000;
const KILL_WAIT_MS = 5_000;
const LOG_TAIL_LINES = 20;

interface Launch {
  child: ChildProcess;
  exited: Promise<void>;
  /** Set when the binary could not be run at all (ENOENT, EACCES). */
  spawnError?: Error;
}

class RedisServerProcess implements RedisServer, Reapable {
  readonly host = LOOPBACK;
  readonly dir: string;
  readonly tls?: TlsMaterial;
  #port = 0;
  #pid = 0;
  #ownsDir: boolean;
  #options: StartRedisOptions;
  readonly #mode: ProcessMode;
  #launch: Launch | undefined;
  #stopping: Promise<void> | undefined;

  static async start(options: StartRedisOptions, mode: ProcessMode): Promise<RedisServerProcess> {
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'redmoon-redis-')));
    if (!ownsDir) await mkdir(dir, { recursive: true });
    let tls: TlsMaterial | undefined;
    try {
      if (options.tls) {
        tls = await loadTlsMaterial(
          options.tls === true ? await generateTlsFiles(join(dir, 'tls')) : options.tls,
        );
      }
    } catch (error) {
      if (ownsDir) await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const server = new RedisServerProcess(options, mode, dir, ownsDir, tls);
    try {
      await server.#startOnFreePort();
    } catch (error) {
      server.reapSync();
      untrack(server);
      throw error;
    }
    return server;
  }

  private constructor(
    options: StartRedisOptions,
    mode: ProcessMode,
    dir: string,
    ownsDir: boolean,
    tls: TlsMaterial | undefined,
  ) {
    this.#options = options;
    this.#mode = mode;
    this.dir = dir;
    this.#ownsDir = ownsDir;
    if (tls !== undefined) this.tls = tls;
    track(this);
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `${this.tls === undefined ? 'redis' : 'rediss'}://${this.host}:${this.#port}`;
  }

  get pid(): number {
    return this.#pid;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#terminate('SIGTERM');
      untrack(this);
      if (this.#ownsDir) await rm(this.dir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.#terminate(signal);
  }

  async restart(): Promise<void> {
    if (this.#stopping !== undefined) throw new Error('restart() called after stop()');
    await this.#terminate('SIGTERM');
    await this.#start(this.#port, Date.now() + this.#startTimeoutMs());
  }

  reapSync(): void {
    const pid = this.#launch?.child.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  #startTimeoutMs(): number {
    return this.#options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  }

  async #startOnFreePort(): Promise<void> {
    const deadline = Date.now() + this.#startTimeoutMs();
    const fixedPort = this.#options.port;
    const clusterBus = configValue(this.#options.config, 'cluster-enabled') === 'yes';
    for (let attempt = 1; ; attempt++) {
      const port = fixedPort ?? (await findFreePort({ clusterBus }));
      try {
        return await this.#start(port, deadline);
      } catch (error) {
        // Free ports are only free until someone else binds them; a race lost is worth a new port.
        const lostRace = error instanceof StartError && error.addressInUse;
        if (!lostRace || fixedPort !== undefined || attempt === PORT_ATTEMPTS) throw error;
      }
    }
  }

  async #start(port: number, deadline: number): Promise<void> {
    this.#port = port;
    const logPath = join(this.dir, 'redis.log');
    const stderrPath = join(this.dir, 'redis.stderr');
    const configPath = join(this.dir, 'redis.conf');
    const layout: ServerLayout = {
      port,
      dir: this.dir,
      logPath,
      persistence: this.#options.persistence ?? false,
    };
    if (this.tls !== undefined) {
      layout.tls = { caCert: this.tls.caPath, cert: this.tls.certPath, key: this.tls.keyPath };
    }
    if (this.#options.replicaOf !== undefined) layout.replicaOf = this.#options.replicaOf;
    await writeFile(configPath, renderConfig(layout, this.#options.config));
    // The log is appended to across restarts; only this start's lines explain this start's failure.
    const logStart = await fileSize(logPath);

    const launch = this.#spawn(configPath, stderrPath);
    const died = new AbortController();
    void launch.exited.then(() => died.abort());
    const endpoint: Endpoint = { host: this.host, port };
    if (this.tls !== undefined) endpoint.ca = this.tls.ca;
    const password = configValue(this.#options.config, 'requirepass');
    if (password !== undefined) endpoint.password = password;
    try {
      await waitUntilReady(endpoint, deadline, died.signal, launch.child.pid);
    } catch (error) {
      if (!died.signal.aborted) await this.#terminate('SIGKILL');
      const log = await tail(logPath, logStart);
      const stderr = await tail(stderrPath, 0);
      const exitCode = launch.spawnError === undefined ? launch.child.exitCode : null;
      const reason = launch.spawnError?.message ?? (error as Error).message;
      throw new StartError(
        `redis-server on port ${port} did not start: ${reason}` +
          (exitCode === null ? '' : `; exit code ${exitCode}`) +
          (stderr === '' ? '' : `\n--- stderr ---\n${stderr}`) +
          `\n--- last lines of ${logPath} ---\n${log || '(empty)'}`,
        log.includes('Address already in use'),
      );
    }
  }

  #spawn(configPath: string, stderrPath: string): Launch {
    // Config errors are printed to stderr before the logfile is opened, so stderr goes to a file:
    // a pipe would keep this process alive, and 'ignore' would lose the one line that explains it.
    const stderrFd = openSync(stderrPath, 'w');
    let child: ChildProcess;
    try {
      const args = this.#mode === 'sentinel' ? [configPath, '--sentinel'] : [configPath];
      child = spawn(this.#options.redisServerPath ?? 'redis-server', args, {
        stdio: ['ignore', 'ignore', stderrFd],
      });
    } finally {
      closeSync(stderrFd);
    }
    // A forgotten server must not hold the event loop open; #terminate refs it while waiting.
    child.unref();
    let onExit!: () => void;
    const launch: Launch = { child, exited: new Promise((resolve) => (onExit = resolve)) };
    child.once('exit', () => {
      if (this.#launch === launch) this.#launch = undefined;
      onExit();
    });
    child.once('error', (error) => {
      launch.spawnError = new Error(`could not run ${child.spawnfile}: ${error.message}`);
      if (this.#launch === launch) this.#launch = undefined;
      onExit();
    });
    this.#launch = launch;
    this.#pid = child.pid ?? 0;
    return launch;
  }

  /** Signals the current process, if any, and waits for it to exit. */
  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const launch = this.#launch;
    if (launch === undefined) return;
    // Awaiting an unref'd child alone would let Node exit mid-await.
    launch.child.ref();
    try {
      launch.child.kill(signal);
      const graceMs = signal === 'SIGKILL' ? KILL_WAIT_MS : STOP_GRACE_MS;
      if (await exitsWithin(launch.exited, graceMs)) return;
      if (signal !== 'SIGTERM') {
        throw new Error(
          `redis-server (pid ${launch.child.pid}) did not exit within ${graceMs} ms of ${signal}`,
        );
      }
      launch.child.kill('SIGKILL');
      await launch.exited;
    } finally {
      launch.child.unref();
    }
  }
}

/** A failed start, saying whether the port was taken (the one failure a new port can fix). */
class StartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

async function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The last lines of `path` from byte `start` on, or '' if there is no such file. */
async function tail(path: string, start: number): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.max(0, size - start));
      await handle.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}
