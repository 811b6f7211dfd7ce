// Test runs crash, time out and get interrupted; a redis-server left behind holds a port and a
// temp dir until someone notices. Every live server registers here so that whatever way this
// process ends, its servers end with it.
//
// What cannot be covered: SIGKILL of this process (no handler runs). The servers then live on as
// orphans and must be killed by hand.

/** Something that can be torn down synchronously, from inside an 'exit' handler. */
export interface Reapable {
  /** Must not throw and must not wait: SIGKILL the process, remove owned files, best effort. */
  reapSync(): void;
}

const live = new Set<Reapable>();
let handlersInstalled = false;

/** Registers `target` to be reaped when this process exits or is ended by SIGINT/SIGTERM. */
export function track(target: Reapable): void {
  installHandlers();
  live.add(target);
}

/** Forgets `target`, once it has been shut down properly. */
export function untrack(target: Reapable): void {
  live.delete(target);
}

function reapAll(): void {
  for (const target of live) {
    try {
      target.reapSync();
    } catch {
      // Best effort: one failure must not spare the others.
    }
  }
  live.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', reapAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      reapAll();
      process.removeListener(signal, onSignal);
      // Listening for a signal replaces Node's default of dying from it. When nobody else
      // listens, raise it again so the process still ends with the conventional status
      // (130 for SIGINT, 143 for SIGTERM); otherwise those listeners own the shutdown.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
