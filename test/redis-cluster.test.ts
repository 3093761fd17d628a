/**
 * Turnpike's Redis code on a real Redis Cluster (3 masters started here, see
 * support/redis-cluster.ts): the rate-limiter conformance suite through `connectRedis`'s
 * `redis+cluster://` URL, keys spread over the nodes, one limit shared by two connections,
 * tenancy change notices over cluster pub/sub, and what a limiter does when a master dies.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';
import type { RateDecision } from '../src/ratelimit/limiter.js';
import { RedisRateLimiter } from '../src/ratelimit/redis-limiter.js';
import { connectRedis, type RedisClient, type RedisConnectOptions } from '../src/store/redis.js';
import { ChangeWatcher, publishChange } from '../src/tenancy/change-watcher.js';
import { describeRateLimiter } from './conformance/rate-limiter.suite.js';
import { type RedisCluster, redisCli, startRedisCluster } from './support/redis-cluster.js';

/** How long a dead master goes unnoticed; after that the cluster answers CLUSTERDOWN. */
const NODE_TIMEOUT_MS = 3_000;

let cluster: RedisCluster;
const clients = new Set<RedisClient>();

beforeAll(async () => {
  cluster = await startRedisCluster({ nodes: 3, nodeTimeoutMs: NODE_TIMEOUT_MS });
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await cluster?.stop();
});

const randomPrefix = () => `tp_cluster_${randomBytes(4).toString('hex')}:`;

/** A client to the whole cluster (or one node, for a `redis://` URL), ready for commands. */
async function connect(url = cluster.url, options: RedisConnectOptions = {}): Promise<RedisClient> {
  const client = connectRedis(url, options);
  clients.add(client);
  client.on('error', () => {}); // reconnect noise; failures show up where the test looks
  if (client.status !== 'ready') {
    await within(once(client, 'ready'), 10_000, `connecting to ${url}`);
  }
  if (client instanceof Cluster) await openEveryMaster(client);
  return client;
}

/**
 * A cluster client is `ready` once it knows the slots; its connection to each master opens on
 * first use. Fail-fast clients (no offline queue) refuse commands to a node still connecting,
 * so a case's first commands raced those connections on a busy machine. Open them first.
 */
async function openEveryMaster(client: Cluster): Promise<void> {
  await Promise.all(
    client.nodes('master').map(async (node) => {
      if (node.status === 'ready') return;
      const ready = once(node, 'ready');
      if (node.status === 'wait') node.connect().catch(() => {});
      await within(ready, 10_000, `connecting to master ${node.options.port}`);
    }),
  );
}

/** For the cases about behaviour on a healthy cluster: a busy machine is not a Redis failure. */
const HEALTHY = { commandTimeoutMs: 5_000 } as const;

function release(client: RedisClient): void {
  client.disconnect();
  clients.delete(client);
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The keys matching `pattern` that each node holds, asked of each node directly. */
async function keysByNode(pattern: string): Promise<Map<number, string[]>> {
  const byNode = new Map<number, string[]>();
  for (const port of cluster.ports) {
    const node = await connect(`redis://127.0.0.1:${port}`, { offlineQueue: true });
    try {
      byNode.set(port, await node.keys(pattern));
    } finally {
      release(node);
    }
  }
  return byNode;
}

// The semantics on a healthy cluster: a generous command timeout, so a busy machine (the first
// command also opens the slot owner's connection and loads the script) is not read as a failure.
// Timeouts and dead nodes have their own cases below.
describeRateLimiter('RedisRateLimiter on Redis Cluster', async () => {
  const client = await connect(cluster.url, HEALTHY);
  const failures: unknown[] = [];
  const limiter = new RedisRateLimiter({
    client,
    prefix: randomPrefix(),
    failure: 'closed',
    onFailure: (err) => failures.push(err),
  });
  return { limiter, failures, close: async () => release(client) };
});

describe('RedisRateLimiter on Redis Cluster', () => {
  it('spreads keys over every node', async () => {
    const client = await connect(cluster.url, HEALTHY);
    try {
      const prefix = randomPrefix();
      const errors: unknown[] = [];
      const limiter = new RedisRateLimiter({
        client,
        prefix,
        failure: 'closed',
        onFailure: (err) => errors.push(err),
      });
      // 10 s per token: every key outlives the check below.
      const rule = { perSecond: 0.1, burst: 5 };
      for (let i = 0; i < 50; i++) expect((await limiter.consume(`key-${i}`, rule)).allowed).toBe(true);
      expect(errors).toEqual([]);

      const byNode = await keysByNode(`${prefix}rl:*`);
      const counts = [...byNode.values()].map((keys) => keys.length);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(50);
      expect(counts.filter((count) => count > 0)).toHaveLength(cluster.ports.length);
    } finally {
      release(client);
    }
  });

  it('shares one limit between instances on separate cluster connections', async () => {
    const connections = await Promise.all([connect(cluster.url, HEALTHY), connect(cluster.url, HEALTHY)]);
    try {
      const prefix = randomPrefix();
      const errors: unknown[] = [];
      const limiters = connections.map(
        (client) =>
          new RedisRateLimiter({ client, prefix, failure: 'closed', onFailure: (err) => errors.push(err) }),
      );
      const rule = { perSecond: 100, burst: 50 };
      const started = performance.now();
      const decisions = await Promise.all(
        Array.from({ length: 500 }, (_, i) => limiters[i % 2]!.consume('shared', rule)),
      );
      const elapsedMs = performance.now() - started;
      expect(errors).toEqual([]);
      const admitted = decisions.filter((d) => d.allowed).length;
      expect(admitted).toBeGreaterThanOrEqual(50);
      // The burst plus what refilled while the 500 were in flight.
      expect(admitted).toBeLessThanOrEqual(50 + Math.ceil(elapsedMs / 10) + 1);
    } finally {
      for (const client of connections) release(client);
    }
  });
});

describe('tenancy change notices on Redis Cluster', () => {
  it('reaches a ChangeWatcher subscribed through the cluster, whichever node publishes', async () => {
    const channelPrefix = randomPrefix();
    const logged: string[] = [];
    const log = createLogger(
      'warn',
      new Writable({
        write(chunk, _encoding, done) {
          logged.push(String(chunk));
          done();
        },
      }),
    );
    let changes = 0;
    let waiting: (() => void) | undefined;
    const nextChange = () =>
      within(
        new Promise<void>((resolve) => {
          waiting = resolve;
        }),
        5_000,
        'change notice',
      );
    const subscriber = connectRedis(cluster.url, { offlineQueue: true, commandTimeoutMs: 0 });
    clients.add(subscriber);
    subscriber.on('error', () => {});
    // pollMs far beyond the test: only a pub/sub notice can call onChange.
    const watcher = new ChangeWatcher(
      { changeVersion: async () => 0 },
      async () => {
        changes++;
        waiting?.();
      },
      log,
      { pollMs: 60_000, subscriber, channelPrefix },
    );
    const publisher = await connect();
    try {
      await within(watcher.start(), 10_000, 'ChangeWatcher.start');
      expect(logged).toEqual([]); // no "cannot subscribe" warning

      let change = nextChange();
      await publishChange(publisher, channelPrefix);
      await change;
      expect(changes).toBe(1);

      // Straight into each node: the cluster bus carries it to the subscriber's node.
      for (const port of cluster.ports) {
        const node = await connect(`redis://127.0.0.1:${port}`);
        try {
          change = nextChange();
          await publishChange(node, channelPrefix);
          await change;
        } finally {
          release(node);
        }
      }
      expect(changes).toBe(1 + cluster.ports.length);
      expect(logged).toEqual([]);
    } finally {
      await watcher.close();
      clients.delete(subscriber);
      release(publisher);
    }
  });
});

// Last: it kills a master, which leaves the cluster broken for anything after it.
describe('RedisRateLimiter when a cluster master dies', () => {
  it('fails open promptly on the dead node, keeps limiting on the live ones, then survives CLUSTERDOWN', async () => {
    const client = await connect();
    const prefix = randomPrefix();
    const errors: unknown[] = [];
    const open = new RedisRateLimiter({
      client,
      prefix,
      failure: 'open',
      onFailure: (err) => errors.push(err),
    });
    const closed = new RedisRateLimiter({ client, prefix, failure: 'closed', onFailure: () => {} });
    // 10 s per token, so nothing refills during the test; burst 3.
    const rule = { perSecond: 0.1, burst: 3 };
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);

    /** One decision per key, all at once; each must settle, without throwing, within 1 s. */
    async function round(limiter: RedisRateLimiter): Promise<Map<string, RateDecision>> {
      const settled = await Promise.allSettled(
        keys.map(async (key) => {
          const started = performance.now();
          const decision = await limiter.consume(key, rule);
          return { key, decision, ms: performance.now() - started };
        }),
      );
      const decisions = new Map<string, RateDecision>();
      for (const result of settled) {
        expect(result.status).toBe('fulfilled');
        if (result.status !== 'fulfilled') continue;
        expect(result.value.ms).toBeLessThan(1_000);
        decisions.set(result.value.key, result.value.decision);
      }
      return decisions;
    }

    try {
      // One token from every bucket, then find which node holds which key.
      const first = await round(open);
      expect([...first.values()].every((d) => d.allowed && d.remaining === 2)).toBe(true);
      expect(errors).toEqual([]);
      const byNode = await keysByNode(`${prefix}rl:*`);
      const [victim, victimKeys] = [...byNode.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
      const onDead = new Set(victimKeys.map((key) => key.slice(`${prefix}rl:`.length)));
      const onLive = keys.filter((key) => !onDead.has(key));
      expect(onDead.size).toBeGreaterThan(0);
      expect(onLive.length).toBeGreaterThan(0);

      await cluster.kill(victim);
      const killedAt = performance.now();

      // Before the others give up on it (NODE_TIMEOUT_MS): dead keys fail open, live keys are limited.
      const expectedLive = [
        { allowed: true, remaining: 1 },
        { allowed: true, remaining: 0 },
        { allowed: false, remaining: 0 },
      ];
      for (const expected of expectedLive) {
        errors.length = 0;
        const decisions = await round(open);
        for (const key of onDead) {
          expect(decisions.get(key)).toMatchObject({ allowed: true, remaining: 2, retryAfterSeconds: 0 });
        }
        for (const key of onLive) expect(decisions.get(key)).toMatchObject(expected);
        expect(errors).toHaveLength(onDead.size);
      }
      expect(performance.now() - killedAt).toBeLessThan(NODE_TIMEOUT_MS);

      // Then, with a master missing and no replica, the whole cluster answers CLUSTERDOWN.
      const live = cluster.ports.find((port) => port !== victim)!;
      const deadline = Date.now() + NODE_TIMEOUT_MS + 10_000;
      while (!/cluster_state:fail/.test(await redisCli(live, ['cluster', 'info']))) {
        if (Date.now() > deadline) throw new Error('the cluster never noticed the dead master');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      errors.length = 0;
      const down = await round(open);
      expect([...down.values()].every((d) => d.allowed && d.retryAfterSeconds === 0)).toBe(true);
      expect(errors).toHaveLength(keys.length);
      expect(errors.some((err) => err instanceof Error && err.message.startsWith('CLUSTERDOWN'))).toBe(true);
      const refused = await round(closed);
      expect([...refused.values()].every((d) => !d.allowed && d.retryAfterSeconds === 1)).toBe(true);
    } finally {
      release(client);
    }
  }, 30_000);
});
