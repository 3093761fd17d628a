/**
 * One admin command's hold on the tenancy store: the database (migrated on open, as the gateway
 * does) and, only once something changed, a Redis connection to announce it. Everything is
 * closed before the command returns, so the process ends at once.
 */
import { openDatabase } from '../../store/database.js';
import { connectRedis, type RedisClient } from '../../store/redis.js';
import { publishChange } from '../../tenancy/change-watcher.js';
import type { TenancyStore } from '../../tenancy/model.js';
import { SqlTenancyStore } from '../../tenancy/sql-tenancy-store.js';
import type { CommonValues } from './flags.js';
import { resolveStorageTarget } from './storage-target.js';

export interface AdminSession {
  readonly store: TenancyStore;
  /** Tells running gateways to refresh now (they also poll the database). */
  announceChange(): Promise<void>;
}

/** A tool may wait a little longer for Redis than the hot path does. */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export async function withAdminSession<T>(
  values: CommonValues,
  work: (session: AdminSession) => Promise<T>,
): Promise<T> {
  const target = await resolveStorageTarget(values);
  const database = await openDatabase(target.database);
  let redis: RedisClient | undefined;
  const session: AdminSession = {
    store: new SqlTenancyStore(database),
    async announceChange() {
      if (target.redisUrl === undefined) return;
      if (redis === undefined) {
        redis = connectRedis(target.redisUrl, {
          offlineQueue: true,
          commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
        });
        // A Redis outage must not crash the command: the change is committed and gateways poll.
        redis.on('error', () => undefined);
      }
      await publishChange(redis, target.redisKeyPrefix);
    },
  };
  try {
    return await work(session);
  } finally {
    redis?.disconnect();
    await database.close();
  }
}
