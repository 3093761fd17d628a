/**
 * Builds the cache tiers of one process from the config: the in-process LRU, and when Redis is
 * configured (and `cache.redis` is on) the shared Redis tier with cross-instance invalidation
 * and the fill lock. Redis failures are counted, never thrown: they become misses.
 */
import { redisLocation } from '../config/effective-settings.js';
import type { TurnpikeConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { connectRedis, maskRedisUrl, type RedisClient } from '../store/redis.js';
import { SilentRedisGuard } from '../store/silent-redis.js';
import type { CacheStore } from './cache-store.js';
import { type FillLock, RedisFillLock } from './fill-lock.js';
import { MemoryCacheStore } from './memory-store.js';
import { RedisCacheStore } from './redis-store.js';
import { TieredCacheStore } from './tiered-store.js';

export interface CacheTiers {
  readonly store: CacheStore;
  readonly memory: MemoryCacheStore;
  readonly fillLock: FillLock | undefined;
  /** Redis operations that failed (each became a miss or a skipped write). */
  readonly failures: () => number;
  close(): Promise<void>;
}

export function openCache(config: TurnpikeConfig, log: Logger): CacheTiers {
  const memory = new MemoryCacheStore({
    memoryBytes: config.cache.memoryBytes,
    maxEntryBytes: config.cache.maxEntryBytes,
  });
  const redisUrl = config.cache.redis ? redisLocation(config.storage) : undefined;
  if (redisUrl === undefined)
    return { store: memory, memory, fillLock: undefined, failures: () => 0, close: () => memory.close() };

  let failures = 0;
  let lastWarning = 0;
  const onFailure = (err: unknown) => {
    failures++;
    if (Date.now() - lastWarning < 10_000) return;
    lastWarning = Date.now();
    log.warn(
      { err: (err as Error)?.message, redis: maskRedisUrl(redisUrl) },
      'Redis cache tier failing; serving from memory and upstreams',
    );
  };
  const onError = (err: Error) => onFailure(err);
  const prefix = config.storage.redisKeyPrefix;
  const client: RedisClient = connectRedis(redisUrl, { onError });
  const subscriber: RedisClient = connectRedis(redisUrl, {
    offlineQueue: true,
    commandTimeoutMs: 0,
    onError,
  });
  const redis = new RedisCacheStore({
    client,
    prefix,
    compressMinBytes: config.cache.compressMinBytes,
    onFailure,
    silence: new SilentRedisGuard(client, {
      onReconnect: () =>
        log.warn(
          { redis: maskRedisUrl(redisUrl) },
          'Redis cache tier stopped answering; dropped the connection and reconnecting',
        ),
    }),
  });
  const store = new TieredCacheStore({ memory, redis, publisher: client, subscriber, prefix, onFailure });
  return {
    store,
    memory,
    fillLock: new RedisFillLock(client, prefix, config.cache.fillLockMs, onFailure),
    failures: () => failures,
    async close() {
      await store.close();
      client.disconnect();
      subscriber.disconnect();
    },
  };
}
