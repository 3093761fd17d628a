/**
 * Builds the tenancy layer of one process from the config: the database (migrated by the
 * caller or here), Redis when configured, the rate limiter, key cache, meter and change watcher.
 * Returns undefined when nothing needs it (tenancy off and no keyless rate limit anywhere).
 */
import { databaseLocation, redisLocation } from '../config/effective-settings.js';
import type { TurnpikeConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import { MemoryRateLimiter } from '../ratelimit/memory-limiter.js';
import { RedisRateLimiter } from '../ratelimit/redis-limiter.js';
import { openDatabase, type StoreDatabase } from '../store/database.js';
import { connectRedis, maskRedisUrl, type RedisClient } from '../store/redis.js';
import { ChangeWatcher, publishChange } from './change-watcher.js';
import { KeyCache } from './key-cache.js';
import { PlanRulesCache } from './plan-rules.js';
import { ProjectAccounts } from './project-accounts.js';
import { SqlTenancyStore } from './sql-tenancy-store.js';
import { Tenancy } from './tenancy.js';
import { UsageMeter } from './usage-meter.js';

export interface OpenTenancyOptions {
  /** A limiter shared across processes (cluster leases); default: Redis if set, else in-process. */
  limiter?: RateLimiter;
  /** Run migrations on open. The cluster primary migrates once before forking. @default true */
  migrate?: boolean;
  /** Counts rate-limit decisions Redis could not make. */
  onRateLimitFailure?: (err: unknown) => void;
}

export function needsTenancy(config: TurnpikeConfig): boolean {
  return (
    config.tenancy.enabled ||
    Object.values(config.networks).some((network) => network.access.keylessRateLimit !== undefined)
  );
}

export async function openTenancy(
  config: TurnpikeConfig,
  log: Logger,
  options: OpenTenancyOptions = {},
): Promise<Tenancy> {
  const { storage } = config;
  const redisUrl = redisLocation(storage);
  // ioredis reconnects on its own; say so at most every 10 s instead of on every attempt.
  let lastRedisWarning = 0;
  const onRedisError = (err: Error) => {
    if (Date.now() - lastRedisWarning < 10_000) return;
    lastRedisWarning = Date.now();
    log.warn(
      { err: err.message, redis: maskRedisUrl(redisUrl ?? '') },
      'Redis connection error; reconnecting',
    );
  };
  const redis: RedisClient | undefined =
    redisUrl === undefined
      ? undefined
      : connectRedis(redisUrl, {
          commandTimeoutMs: config.tenancy.rateLimitTimeoutMs,
          onError: onRedisError,
        });
  if (redisUrl !== undefined)
    log.info({ redis: maskRedisUrl(redisUrl) }, 'tenancy state shared through Redis');
  // No request (so no decision) comes before the Tenancy object below exists.
  let tenancy: Tenancy | undefined;
  const countFailure = (err: unknown) => {
    if (tenancy !== undefined) tenancy.rateLimitFailures++;
    options.onRateLimitFailure?.(err);
  };
  const limiter =
    options.limiter ??
    (redis === undefined
      ? new MemoryRateLimiter()
      : new RedisRateLimiter({
          client: redis,
          prefix: storage.redisKeyPrefix,
          failure: config.tenancy.rateLimitFailure,
          onFailure: countFailure,
          onReconnect: () =>
            log.warn(
              { redis: maskRedisUrl(redisUrl ?? ''), timeoutMs: config.tenancy.rateLimitTimeoutMs },
              'Redis stopped answering rate-limit decisions; dropped the connection and reconnecting',
            ),
        }));
  const fleet = limiter instanceof RedisRateLimiter ? limiter.fleet : undefined;
  const closeRedis = async () => {
    redis?.disconnect();
  };
  if (!config.tenancy.enabled) {
    tenancy = new Tenancy(
      config,
      {
        store: undefined,
        keys: undefined,
        meter: undefined,
        changes: undefined,
        limiter,
        redis,
        fleet,
        publishChange: async () => undefined,
        closeResources: closeRedis,
      },
      log,
    );
    return tenancy;
  }
  let database: StoreDatabase;
  try {
    database = await openDatabase(
      { ...storage, database: databaseLocation(storage) },
      { migrate: options.migrate ?? true },
    );
  } catch (err) {
    await closeRedis();
    throw err;
  }
  const store = new SqlTenancyStore(database);
  const accounts = new ProjectAccounts();
  const keys = new KeyCache(store, accounts, new PlanRulesCache(), { maxKeys: config.tenancy.keyCacheSize });
  const meter = new UsageMeter(store, log);
  const subscriber =
    redisUrl === undefined
      ? undefined
      : connectRedis(redisUrl, { offlineQueue: true, commandTimeoutMs: 0, onError: onRedisError });
  const changes = new ChangeWatcher(
    store,
    async () => {
      await keys.refreshGrants();
      await keys.refreshBalances();
    },
    log,
    {
      pollMs: config.tenancy.changePollMs,
      ...(subscriber !== undefined && { subscriber }),
      channelPrefix: storage.redisKeyPrefix,
    },
  );
  tenancy = new Tenancy(
    config,
    {
      store,
      keys,
      meter,
      changes,
      limiter,
      redis,
      fleet,
      publishChange: () => publishChange(redis, storage.redisKeyPrefix),
      closeResources: async () => {
        await database.close();
        await closeRedis();
      },
    },
    log,
  );
  return tenancy;
}
