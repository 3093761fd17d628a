/**
 * Builds the gateway's Consistency (network/consistency/) from the config, with its own Redis
 * connection when session marks are shared (`consistency.sessions.shared` and a Redis URL).
 */
import { redisLocation } from '../config/effective-settings.js';
import type { TurnpikeConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { Consistency } from '../network/consistency/consistency.js';
import type { Network } from '../network/network.js';
import { connectRedis, maskRedisUrl } from '../store/redis.js';

export interface OpenConsistency {
  readonly consistency: Consistency;
  /** Resolves once Redis is connected (bounded: a Redis that stays away means local marks). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const READY_WAIT_MS = 2_000;

export function openConsistency(
  config: TurnpikeConfig,
  networks: Iterable<Network>,
  log: Logger,
): OpenConsistency | undefined {
  const section = config.consistency;
  if (!section.enabled) return undefined;
  const url = section.sessions.shared ? redisLocation(config.storage) : undefined;
  let lastWarning = 0;
  const redis =
    url === undefined
      ? undefined
      : connectRedis(url, {
          onError: (err) => {
            if (Date.now() - lastWarning < 10_000) return;
            lastWarning = Date.now();
            log.warn(
              { err: err.message, redis: maskRedisUrl(url) },
              'Redis for shared session marks failing; monotonic reads hold per instance',
            );
          },
        });
  const consistency = new Consistency({
    config: section,
    networks,
    redis,
    redisKeyPrefix: config.storage.redisKeyPrefix,
  });
  return {
    consistency,
    async ready() {
      if (redis === undefined || redis.status === 'ready') return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise((resolve) => redis.once('ready', resolve)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, READY_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    },
    async close() {
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
