/**
 * The rate-limiter conformance suite against every implementation (Redis for real, at
 * TEST_REDIS_URL), plus what only Redis does: a limit shared by separate connections, key
 * expiry, and failing open or closed when Redis is gone.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { LeaseAuthority } from '../src/ratelimit/lease-authority.js';
import { LeasedRateLimiter } from '../src/ratelimit/leased-limiter.js';
import type { RateDecision, RateLimiter, RateRule } from '../src/ratelimit/limiter.js';
import { MemoryRateLimiter } from '../src/ratelimit/memory-limiter.js';
import { RedisRateLimiter } from '../src/ratelimit/redis-limiter.js';
import { connectRedis, type RedisClient, type RedisConnectOptions } from '../src/store/redis.js';
import { describeRateLimiter } from './conformance/rate-limiter.suite.js';
import { REDIS_URL, randomName } from './support/databases.js';
import { getFreePort } from './support/free-port.js';

/** One prefix per run; every key this file writes is under it, and deleted at the end. */
const PREFIX = `${randomName('tp_rl_test_')}:`;

/** connectRedis fails fast while connecting, so wait until the link is up. */
async function connectReady(url = REDIS_URL, options: RedisConnectOptions = {}): Promise<RedisClient> {
  const client = connectRedis(url, options);
  if (client.status !== 'ready') await once(client, 'ready');
  return client;
}

afterAll(async () => {
  const client = await connectReady();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  client.disconnect();
});

describeRateLimiter('memory', async () => {
  const limiter = new MemoryRateLimiter();
  return { limiter, close: () => limiter.close() };
});

// As on the cluster: a generous command timeout, failures reported; Redis down has its own tests.
describeRateLimiter('redis', async () => {
  const client = await connectReady(REDIS_URL, { commandTimeoutMs: 5_000 });
  const failures: unknown[] = [];
  const limiter = new RedisRateLimiter({
    client,
    prefix: PREFIX,
    failure: 'closed',
    onFailure: (err) => failures.push(err),
  });
  return { limiter, failures, close: async () => void client.disconnect() };
});

/** Three workers taking turns, leasing over an async hop, as under node:cluster. */
class RoundRobin implements RateLimiter {
  #next = 0;
  constructor(readonly workers: LeasedRateLimiter[]) {}
  consume(key: string, rule: RateRule, cost?: number): RateDecision | Promise<RateDecision> {
    this.#next = (this.#next + 1) % this.workers.length;
    return this.workers[this.#next]!.consume(key, rule, cost);
  }
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}

describeRateLimiter('leases (3 workers, 1 authority)', async () => {
  const authority = new LeaseAuthority();
  const hop = () => new Promise<void>((resolve) => setImmediate(resolve));
  const workers = Array.from(
    { length: 3 },
    () =>
      new LeasedRateLimiter({
        failure: 'closed',
        requestGrant: async (key, rule, want, min) => {
          await hop();
          return authority.grant(key, rule, want, min);
        },
      }),
  );
  const limiter = new RoundRobin(workers);
  return { limiter, close: () => Promise.all([limiter.close(), authority.close()]).then(() => undefined) };
});

describe('RedisRateLimiter', () => {
  it('shares one limit between instances on separate connections', async () => {
    const clients = await Promise.all([connectReady(), connectReady()]);
    try {
      const limiters = clients.map(
        (client) => new RedisRateLimiter({ client, prefix: PREFIX, failure: 'closed' }),
      );
      const rule = { perSecond: 100, burst: 50 };
      const started = performance.now();
      const decisions = await Promise.all(
        Array.from({ length: 500 }, (_, i) => limiters[i % 2]!.consume('shared', rule)),
      );
      const elapsedMs = performance.now() - started;
      const admitted = decisions.filter((d) => d.allowed).length;
      expect(admitted).toBeGreaterThanOrEqual(50);
      // The burst plus what refilled while the 500 were in flight.
      expect(admitted).toBeLessThanOrEqual(50 + Math.ceil(elapsedMs / 10) + 1);
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it('lets a key expire when its bucket would be full again', async () => {
    const client = await connectReady();
    try {
      const limiter = new RedisRateLimiter({ client, prefix: PREFIX, failure: 'closed' });
      await limiter.consume('ttl', { perSecond: 10, burst: 5 }, 3);
      const ttl = await client.pttl(`${PREFIX}rl:ttl`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
    } finally {
      client.disconnect();
    }
  });

  const rule = { perSecond: 10, burst: 5 };
  const unreachable: Array<[string, () => Promise<{ url: string; stop(): void }>]> = [
    ['nothing listens', async () => ({ url: `redis://127.0.0.1:${await getFreePort()}`, stop() {} })],
    ['the server never answers', silentServer],
  ];
  for (const [why, start] of unreachable) {
    for (const failure of ['open', 'closed'] as const) {
      it(`fails ${failure} promptly when ${why}, telling onFailure each time`, async () => {
        const server = await start();
        const client = connectRedis(server.url, { commandTimeoutMs: 100 });
        client.on('error', () => {}); // reconnect noise; the limiter reports through onFailure
        try {
          const errors: unknown[] = [];
          const limiter = new RedisRateLimiter({ client, failure, onFailure: (err) => errors.push(err) });
          const started = performance.now();
          const decisions = [await limiter.consume('k', rule), await limiter.consume('k', rule)];
          expect(performance.now() - started).toBeLessThan(1000);
          for (const decision of decisions) {
            expect(decision.allowed).toBe(failure === 'open');
            expect(decision.retryAfterSeconds).toBe(failure === 'open' ? 0 : 1);
          }
          expect(errors).toHaveLength(2);
        } finally {
          client.disconnect();
          server.stop();
        }
      });
    }
  }
});

/** Accepts connections and never writes a byte: every command times out. */
async function silentServer(): Promise<{ url: string; stop(): void }> {
  const server: Server = createServer(() => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    stop: () => {
      server.close();
      server.unref();
    },
  };
}
