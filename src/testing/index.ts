/**
 * The public test harness: real `redis-server` processes (standalone, with TLS, or a Redis
 * Cluster) for tests, started on free loopback ports with throwaway directories and reaped when
 * the test process ends. It depends on Node and the redis-server, redis-cli and openssl binaries
 * only, never on the client it is there to test.
 *
 * @module redmoon/testing
 */

export { type RedisCluster, type StartClusterOptions, startCluster } from './cluster.js';
export {
  FAULT_KINDS,
  type FaultCounters,
  type FaultDirection,
  type FaultHandle,
  type FaultKind,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultRule,
  startFaultProxy,
} from './fault-proxy.js';
export type { ConfigValue, RedisConfig } from './redis-config.js';
export { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';
export { type RedisSentinel, type StartSentinelOptions, startSentinel } from './sentinel.js';
export type { TlsFiles, TlsMaterial } from './tls.js';
