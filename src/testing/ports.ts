import { createServer } from 'node:net';

/** The loopback address every harness server binds to and is reached at. */
export const LOOPBACK = '127.0.0.1';

/** Redis derives a cluster node's bus port from its client port by this fixed offset. */
export const CLUSTER_BUS_OFFSET = 10_000;

const HIGHEST_PORT = 65_535;

/**
 * Asks the kernel for a loopback port nobody is listening on. The port is released before this
 * resolves, so another process can still take it first: callers retry on EADDRINUSE.
 */
export async function findFreePort(options: { clusterBus?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindEphemeralPort();
    if (!options.clusterBus) return port;
    // The bus port must exist and be free too, or the node exits at startup; ephemeral ports
    // above 55535 have no valid bus port at all.
    if (port + CLUSTER_BUS_OFFSET <= HIGHEST_PORT && (await isPortFree(port + CLUSTER_BUS_OFFSET))) {
      return port;
    }
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
