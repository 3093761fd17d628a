/**
 * The cache-store conformance suite against every tier: memory, Redis (for real, at
 * TEST_REDIS_URL) and memory + Redis. Each Redis fixture writes under its own random prefix
 * and deletes exactly those keys when it closes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCacheStore } from '../src/cache/memory-store.js';
import { RedisCacheStore } from '../src/cache/redis-store.js';
import { TieredCacheStore } from '../src/cache/tiered-store.js';
import { connectRedis, type RedisClient, type RedisConnectOptions } from '../src/store/redis.js';
import { describeCacheStore } from './conformance/cache-store.suite.js';
import { REDIS_URL, randomName } from './support/databases.js';
import { getFreePort } from './support/free-port.js';
import { type RedisCluster, redisCli, startRedisCluster } from './support/redis-cluster.js';

const FOREVER = Number.POSITIVE_INFINITY;
const MEMORY = { memoryBytes: 16 * 1024 * 1024, maxEntryBytes: 4 * 1024 * 1024 };

/** connectRedis fails fast while connecting, so wait until the link is up. */
async function connectReady(options: RedisConnectOptions = {}, url = REDIS_URL): Promise<RedisClient> {
  const client = connectRedis(url, options);
  if (client.status !== 'ready') await once(client, 'ready');
  return client;
}

/** Deletes every key under `prefix` (never anything else). */
async function deleteKeys(client: RedisClient, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** A test fails if Redis failed, rather than passing on misses. */
function failOnRedisError(err: unknown): never {
  throw err;
}

describeCacheStore('memory', async () => {
  const store = new MemoryCacheStore(MEMORY);
  return { store, close: () => store.close() };
});

describeCacheStore('redis', async () => {
  const client = await connectReady({ commandTimeoutMs: 2_000 });
  const prefix = `${randomName('tp_cache_test_')}:`;
  const errors: unknown[] = [];
  const store = new RedisCacheStore({
    client,
    prefix,
    compressMinBytes: 1024,
    onFailure: (err) => errors.push(err),
  });
  return {
    store,
    async close() {
      await store.close();
      await deleteKeys(client, prefix);
      client.disconnect();
      if (errors.length > 0) failOnRedisError(errors[0]);
    },
  };
});

describeCacheStore('tiered (memory + redis)', async () => {
  const [client, subscriber] = await Promise.all([
    connectReady({ commandTimeoutMs: 2_000 }),
    connectReady({ offlineQueue: true, commandTimeoutMs: 0 }),
  ]);
  const prefix = `${randomName('tp_cache_test_')}:`;
  const errors: unknown[] = [];
  const onFailure = (err: unknown) => errors.push(err);
  const store = new TieredCacheStore({
    memory: new MemoryCacheStore(MEMORY),
    redis: new RedisCacheStore({ client, prefix, compressMinBytes: 1024, onFailure }),
    publisher: client,
    subscriber,
    prefix,
    onFailure,
  });
  await store.whenSubscribed();
  return {
    store,
    async close() {
      await store.close();
      await deleteKeys(client, prefix);
      client.disconnect();
      subscriber.disconnect();
      if (errors.length > 0) failOnRedisError(errors[0]);
    },
  };
});

/** The same suite on a 3-master Redis Cluster: every script must stay on one slot. */
describe('on Redis Cluster', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster({ nodes: 3 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Ready once every master link is: a fail-fast client errors on a node still connecting. */
  async function connectCluster(options: RedisConnectOptions): Promise<RedisClient> {
    const client = await connectReady({ onError: () => {}, ...options }, cluster!.url);
    if (!(client instanceof Cluster)) throw new Error('expected a Cluster client');
    const masters = client.nodes('master');
    await Promise.all(masters.map((node) => (node.status === 'ready' ? undefined : once(node, 'ready'))));
    return client;
  }

  describeCacheStore('redis (cluster)', async () => {
    const client = await connectCluster({ commandTimeoutMs: 2_000 });
    const errors: unknown[] = [];
    const store = new RedisCacheStore({
      client,
      compressMinBytes: 1024,
      onFailure: (err) => errors.push(err),
    });
    return {
      store,
      async close() {
        client.disconnect();
        if (errors.length > 0) failOnRedisError(errors[0]);
      },
    };
  });

  it('spreads entries over the nodes', async () => {
    const client = await connectCluster({ commandTimeoutMs: 2_000 });
    try {
      const store = new RedisCacheStore({ client, prefix: 'spread:', compressMinBytes: 1024 });
      for (let i = 0; i < 30; i++)
        await store.set(`eth_getBlockByNumber:["0x${i}"]`, {
          value: Buffer.from('{}'),
          ttlMs: 60_000,
          tags: [`0x${i}`],
        });
      const perNode = await Promise.all(
        cluster!.ports.map((port) => redisCli(port, ['--scan', '--pattern', 'spread:c:*'])),
      );
      for (const keys of perNode) expect(keys.trim().split('\n').filter(Boolean).length).toBeGreaterThan(0);
      expect(await store.invalidateTags(Array.from({ length: 30 }, (_, i) => `0x${i}`))).toBe(30);
    } finally {
      client.disconnect();
    }
  });
});

describe('RedisCacheStore', () => {
  async function withStore(
    test: (store: RedisCacheStore, client: RedisClient, prefix: string, errors: unknown[]) => Promise<void>,
  ): Promise<void> {
    const client = await connectReady({ commandTimeoutMs: 2_000 });
    const prefix = `${randomName('tp_cache_test_')}:`;
    const errors: unknown[] = [];
    const store = new RedisCacheStore({
      client,
      prefix,
      compressMinBytes: 64,
      onFailure: (e) => errors.push(e),
    });
    try {
      await test(store, client, prefix, errors);
    } finally {
      await deleteKeys(client, prefix);
      client.disconnect();
    }
  }

  it('expires entries with PX, tag sets no sooner, and keeps Infinity without expiry', () =>
    withStore(async (store, client, prefix) => {
      await store.set('short', { value: Buffer.from('1'), ttlMs: 5_000, tags: ['0xa'] });
      await store.set('long', { value: Buffer.from('2'), ttlMs: 60_000, tags: ['0xa'] });
      await store.set('again', { value: Buffer.from('3'), ttlMs: 1_000, tags: ['0xa'] });
      await store.set('final', { value: Buffer.from('4'), ttlMs: FOREVER, tags: [] });
      const entryTtl = await client.pttl(`${prefix}c:short`);
      expect(entryTtl).toBeGreaterThan(0);
      expect(entryTtl).toBeLessThanOrEqual(5_000);
      // The set's expiry only grows: it covers `long`, though `again` came after it.
      expect(await client.pttl(`${prefix}ct:0xa`)).toBeGreaterThanOrEqual(60_000);
      expect(await client.pttl(`${prefix}c:final`)).toBe(-1);
    }));

  it('answers the remaining TTL and the tags with the value', () =>
    withStore(async (store) => {
      await store.set('k', { value: Buffer.from('v'), ttlMs: 5_000, tags: ['0xa', '0xb'] });
      const entry = await store.getEntry('k');
      expect(entry?.value.toString()).toBe('v');
      expect(entry?.ttlMs).toBeGreaterThan(4_000);
      expect(entry?.ttlMs).toBeLessThanOrEqual(5_000);
      expect([...(entry?.tags ?? [])].sort()).toEqual(['0xa', '0xb']);
      await store.set('final', { value: Buffer.from('f'), ttlMs: FOREVER, tags: [] });
      expect((await store.getEntry('final'))?.ttlMs).toBe(FOREVER);
    }));

  it('stores long keys and keys with braces under their SHA-256, compressed when large', () =>
    withStore(async (store, client, prefix) => {
      const long = `eth_call:["0x${'ab'.repeat(200)}"]`;
      const value = Buffer.from('"0x0000"'.repeat(100));
      await store.set(long, { value, ttlMs: 5_000, tags: [] });
      await store.set('eth_call:[{"to":"0x1"}]', { value, ttlMs: 5_000, tags: [] });
      const keys = await client.keys(`${prefix}c:*`);
      expect(keys).toHaveLength(2);
      for (const key of keys) expect(key).toMatch(new RegExp(`^${prefix}c:sha256:[0-9a-f]{64}$`));
      expect(await client.hstrlen(keys[0]!, 'v')).toBeLessThan(value.length);
      expect((await store.get(long))?.equals(value)).toBe(true);
    }));

  it('treats a stored value that does not decode as a miss, and reports it', () =>
    withStore(async (store, client, prefix, errors) => {
      await client.hset(`${prefix}c:corrupt`, 'v', Buffer.from([0x7f, 1, 2, 3]));
      expect(await store.get('corrupt')).toBeUndefined();
      expect(errors).toHaveLength(1);
    }));

  it('misses, never throws, and reports each failure while nothing listens', async () => {
    const client = connectRedis(`redis://127.0.0.1:${await getFreePort()}`, {
      commandTimeoutMs: 100,
      onError: () => {},
    });
    try {
      const errors: unknown[] = [];
      const store = new RedisCacheStore({ client, compressMinBytes: 64, onFailure: (e) => errors.push(e) });
      const started = performance.now();
      expect(await store.get('k')).toBeUndefined();
      await store.set('k', { value: Buffer.from('v'), ttlMs: 5_000, tags: ['0xa'] });
      expect(await store.invalidateTags(['0xa', '0xb'])).toBe(0);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(errors).toHaveLength(3);
    } finally {
      client.disconnect();
    }
  });
});

describe('TieredCacheStore', () => {
  interface Instance {
    store: TieredCacheStore;
    memory: MemoryCacheStore;
    failures: unknown[];
    close(): Promise<void>;
  }

  /** One gateway instance: its own memory tier, connections and subscriber. */
  async function instance(prefix: string, url = REDIS_URL, commandTimeoutMs = 2_000): Promise<Instance> {
    const [client, subscriber] = await Promise.all([
      connectReady({ commandTimeoutMs, onError: () => {} }, url),
      connectReady({ offlineQueue: true, commandTimeoutMs: 0, onError: () => {} }, url),
    ]);
    const failures: unknown[] = [];
    const onFailure = (err: unknown) => failures.push(err);
    const memory = new MemoryCacheStore(MEMORY);
    const redis = new RedisCacheStore({ client, prefix, compressMinBytes: 64, onFailure });
    const store = new TieredCacheStore({ memory, redis, publisher: client, subscriber, prefix, onFailure });
    await store.whenSubscribed();
    return {
      store,
      memory,
      failures,
      async close() {
        await store.close();
        if (url === REDIS_URL) await deleteKeys(client, prefix);
        client.disconnect();
        subscriber.disconnect();
      },
    };
  }

  it('shares entries between instances and broadcasts invalidations to their memory', async () => {
    const prefix = `${randomName('tp_cache_test_')}:`;
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    try {
      a.store.set('block', { value: Buffer.from('{"hash":"0xa"}'), ttlMs: 5_000, tags: ['0xa'] });
      a.store.set('final', { value: Buffer.from('"0x1"'), ttlMs: FOREVER, tags: [] });
      await a.store.flush();
      // B: a Redis hit, copied into memory with its tags and remaining TTL, then a memory hit.
      expect((await b.store.get('block'))?.toString()).toBe('{"hash":"0xa"}');
      expect((await b.store.get('final'))?.toString()).toBe('"0x1"');
      expect(b.store.get('block')).toBeInstanceOf(Buffer);
      expect(b.memory.remainingTtlMs('block')).toBeGreaterThan(3_000);
      expect(b.memory.remainingTtlMs('block')).toBeLessThanOrEqual(5_000);
      expect(b.memory.remainingTtlMs('final')).toBe(FOREVER);

      expect(await a.store.invalidateTags(['0xa'])).toBe(1);
      expect(await eventually(() => b.memory.get('block') === undefined, 2_000)).toBe(true);
      expect(b.memory.get('final')?.toString()).toBe('"0x1"');
      expect(await b.store.get('block')).toBeUndefined();
      expect([...a.failures, ...b.failures]).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('ignores its own broadcasts', async () => {
    const prefix = `${randomName('tp_cache_test_')}:`;
    const a = await instance(prefix);
    const publisher = await connectReady();
    try {
      a.store.set('block', { value: Buffer.from('x'), ttlMs: 5_000, tags: ['0xa'] });
      const notice = (from: string) => JSON.stringify({ from, tags: ['0xa'] });
      await publisher.publish(`${prefix}cache:invalidate`, notice(a.store.instanceId));
      await sleep(200);
      expect(a.memory.get('block')?.toString()).toBe('x');
      await publisher.publish(`${prefix}cache:invalidate`, notice('another-instance'));
      expect(await eventually(() => a.memory.get('block') === undefined, 2_000)).toBe(true);
    } finally {
      publisher.disconnect();
      await a.close();
    }
  });

  it('keeps answering from memory, and counts failures, when Redis dies mid-run', async () => {
    const server = await startRedisServer();
    const prefix = `${randomName('tp_cache_test_')}:`;
    const a = await instance(prefix, server.url, 200);
    try {
      a.store.set('cached', { value: Buffer.from('kept'), ttlMs: FOREVER, tags: ['0xa'] });
      await a.store.flush();
      a.memory.invalidateAllTagged(); // now only Redis holds it
      expect((await a.store.get('cached'))?.toString()).toBe('kept');
      expect(a.failures).toEqual([]);

      await server.kill();
      expect(a.store.get('cached')).toBeInstanceOf(Buffer); // the copy in memory
      a.store.set('new', { value: Buffer.from('fresh'), ttlMs: FOREVER, tags: [] });
      expect(a.store.get('new')?.toString()).toBe('fresh');
      await a.store.flush();
      expect(await a.store.get('only-in-redis')).toBeUndefined();
      expect(await a.store.invalidateTags(['0xa'])).toBe(1);
      expect(a.failures.length).toBeGreaterThanOrEqual(3); // the write, the read, the invalidation
    } finally {
      await a.close();
      await server.kill();
    }
  });

  it('drops tagged entries from memory when its subscriber reconnects (broadcasts may be lost)', async () => {
    let server = await startRedisServer();
    const prefix = `${randomName('tp_cache_test_')}:`;
    const a = await instance(prefix, server.url, 200);
    try {
      a.store.set('unfinal', { value: Buffer.from('u'), ttlMs: 60_000, tags: ['0xa'] });
      a.store.set('final', { value: Buffer.from('f'), ttlMs: FOREVER, tags: [] });
      await a.store.flush();
      await server.kill();
      server = await startRedisServer(server.port);
      // ioredis retries every 2 s at most; allow a few rounds.
      expect(await eventually(() => a.memory.get('unfinal') === undefined, 10_000)).toBe(true);
      expect(a.memory.get('final')?.toString()).toBe('f');
    } finally {
      await a.close();
      await server.kill();
    }
  });
});

function eventually(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  return eventuallyAsync(async () => probe(), timeoutMs);
}

async function eventuallyAsync(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A private redis-server on a free port, killed (SIGKILL: a crash) by the test. */
async function startRedisServer(
  port?: number,
): Promise<{ url: string; port: number; kill(): Promise<void> }> {
  port ??= await getFreePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  // The server takes a moment to listen; the probe's commands fail fast until it does.
  const probe = connectRedis(url, { commandTimeoutMs: 500, onError: () => {} });
  try {
    const up = await eventuallyAsync(
      () =>
        probe.ping().then(
          () => true,
          () => false,
        ),
      10_000,
    );
    if (!up) throw new Error(`redis-server on port ${port} did not answer`);
  } catch (err) {
    await kill();
    throw err;
  } finally {
    probe.disconnect();
  }
  return { url, port, kill };
}
