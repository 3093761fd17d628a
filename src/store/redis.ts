/**
 * The one way Turnpike connects to Redis (rate limits, change notices, and later the shared
 * cache): a single node from `redis://` / `rediss://`, or Redis Cluster from
 * `redis+cluster://host:port,host:port`. Commands fail fast while disconnected instead of
 * queueing, so a Redis outage becomes a counted fallback, never a pile of waiting requests.
 */
import { Cluster, Redis } from 'ioredis';
import { maskUrlPassword } from './mask-url.js';

export type RedisClient = Redis | Cluster;

export interface RedisConnectOptions {
  /** Per-command timeout; a slower answer is treated as Redis being down. 0 = none. @default 250 */
  commandTimeoutMs?: number;
  /** Queue commands while connecting (for subscribers and tools, not the hot path). @default false */
  offlineQueue?: boolean;
  /**
   * Connection errors (refused, reset, …). ioredis keeps reconnecting; without a listener it
   * prints each one to stderr as "Unhandled error event".
   */
  onError?: (err: Error) => void;
}

const CLUSTER_SCHEME = /^redis\+cluster:\/\//i;

export function connectRedis(url: string, options: RedisConnectOptions = {}): RedisClient {
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  const common = {
    // ioredis takes 0 literally and times every command out at once; 0 here means no timeout.
    ...(commandTimeoutMs > 0 && { commandTimeout: commandTimeoutMs }),
    enableOfflineQueue: options.offlineQueue ?? false,
    // Fail a command at once while the link is down; reconnect in the background.
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2_000),
    enableAutoPipelining: true,
    lazyConnect: false,
  };
  if (CLUSTER_SCHEME.test(url)) {
    const rest = url.replace(CLUSTER_SCHEME, '');
    const at = rest.lastIndexOf('@');
    const auth = at === -1 ? '' : rest.slice(0, at);
    const authority = at === -1 ? rest : rest.slice(at + 1);
    const slash = authority.indexOf('/');
    const hosts = slash === -1 ? authority : authority.slice(0, slash);
    const [username, password] = auth.includes(':') ? auth.split(':', 2) : [undefined, auth || undefined];
    const nodes = hosts.split(',').map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) };
    });
    return withErrorListener(
      new Cluster(nodes, {
        enableOfflineQueue: common.enableOfflineQueue,
        enableAutoPipelining: true,
        clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
        // ioredis retries a command whose node dropped, or that got CLUSTERDOWN, after 100 ms, up
        // to 16 times: a dead master would hold each command ~1.7 s, past commandTimeout. Fail-fast
        // clients give up at once instead (MOVED/ASK redirects are still followed).
        ...(!common.enableOfflineQueue && { retryDelayOnFailover: 0, retryDelayOnClusterDown: 0 }),
        redisOptions: {
          ...common,
          ...(username !== undefined && { username: decodeURIComponent(username) }),
          ...(password !== undefined && { password: decodeURIComponent(password) }),
        },
      }),
      options.onError,
    );
  }
  return withErrorListener(new Redis(url, common), options.onError);
}

function withErrorListener<T extends RedisClient>(client: T, onError: ((err: Error) => void) | undefined): T {
  client.on('error', (err: Error) => onError?.(err));
  return client;
}

/** Masks the password of a Redis URL for logs. */
export function maskRedisUrl(url: string): string {
  return maskUrlPassword(url);
}
