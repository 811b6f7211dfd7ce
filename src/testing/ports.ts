import { createServer } from 'node:net';

/** The loopback address every harness server binds to and is reached at. */
export const LOOPBACK = '127.0.0.1';

/** Redis derives a cluster node's bus port from its client port by this fixed offset. */
export const CLUSTER_BUS_OFFSET = 10_000;

const HIGHEST_PORT = 65_535;

/** How long a port this process handed out is not handed out again. */
const RESERVED_MS = 120_000;

/** Ports handed out lately (bus ports included), with when: servers started together must differ. */
const handedOut = new Map<number, number>();

function reserved(port: number, now: number): boolean {
  const since = handedOut.get(port);
  return since !== undefined && now - since < RESERVED_MS;
}

/** Reserves `port` from `now`, forgetting reservations that have run out. */
function reserve(port: number, now: number): void {
  for (const [held, since] of handedOut) if (now - since >= RESERVED_MS) handedOut.delete(held);
  handedOut.set(port, now);
}

/**
 * Asks the kernel for a loopback port nobody is listening on. The port is released before this
 * resolves, so another process can still take it first: callers retry on EADDRINUSE. Within this
 * process, a port (or bus port) handed out in the last two minutes is not handed out again, so
 * servers started at the same time never race each other for one.
 */
export async function findFreePort(options: { clusterBus?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindEphemeralPort();
    const now = Date.now();
    if (reserved(port, now)) continue;
    // Reserved before any await, so a concurrent call cannot pick it meanwhile.
    reserve(port, now);
    if (!options.clusterBus) return port;
    // The bus port must exist and be free too, or the node exits at startup; ephemeral ports
    // above 55535 have no valid bus port at all.
    const bus = port + CLUSTER_BUS_OFFSET;
    if (bus > HIGHEST_PORT || reserved(bus, now)) continue;
    reserve(bus, now);
    if (await isPortFree(bus)) return port;
  }
  throw new Error('could not find a free loopback port whose cluster bus port (+10000) is also free');
}

/** Whether a listener could bind `port` on the loopback address right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function bindEphemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('listening socket reported no port'));
      });
    });
  });
}
