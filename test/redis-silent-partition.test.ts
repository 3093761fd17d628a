/**
 * A Redis that goes silent (a partition: packets dropped, the connection left open) behind a
 * real TCP pass-through in front of the real Redis on 127.0.0.1:6379. The rate limiter's
 * decisions time out, and after a run of timeouts the silent connection is dropped; once the
 * network heals, the new connection decides through Redis again. The connection open during the
 * partition stays dead after the heal (as a real one does for a while, the kernel's resends
 * backed off), so without the drop the limiter would keep falling back.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisCacheStore } from '../src/cache/redis-store.js';
import { RedisRateLimiter } from '../src/ratelimit/redis-limiter.js';
import { connectRedis, type RedisClient } from '../src/store/redis.js';
import { SilentRedisGuard } from '../src/store/silent-redis.js';
import { REDIS_URL, randomName } from './support/databases.js';

/** Forwards TCP to Redis; `silence()` stops forwarding on every connection without closing it. */
class SilentSwitchProxy {
  readonly server: Server;
  silent = false;
  /** Connections open when the partition began: they never forward again. */
  readonly #dead = new Set<Socket>();
  readonly #held: Array<() => void> = [];
  readonly #sockets = new Set<Socket>();

  constructor(private readonly target: URL) {
    this.server = createServer((client) => this.#accept(client));
  }

  #accept(client: Socket): void {
    const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.#sockets.delete(socket));
    }
    const wire = () => {
      if (this.#dead.has(client)) return;
      client.pipe(upstream);
      upstream.pipe(client);
    };
    // A connection made during the partition waits (its SYN would be resent) until the heal.
    if (this.silent) this.#held.push(wire);
    else wire();
    (client as Socket & { upstream?: Socket }).upstream = upstream;
  }

  silence(): void {
    this.silent = true;
    for (const socket of this.#sockets) {
      const upstream = (socket as Socket & { upstream?: Socket }).upstream;
      if (upstream === undefined) continue;
      this.#dead.add(socket);
      socket.unpipe(upstream);
      upstream.unpipe(socket);
      socket.pause();
      upstream.pause();
    }
  }

  heal(): void {
    this.silent = false;
    for (const wire of this.#held.splice(0)) wire();
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return `redis://127.0.0.1:${address.port}`;
  }

  close(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.server.close();
  }
}

let proxy: SilentSwitchProxy;
let client: RedisClient;

// A fresh pass-through and connection per test: a partition leaves the old ones dead.
beforeEach(async () => {
  proxy = new SilentSwitchProxy(new URL(REDIS_URL));
  client = connectRedis(await proxy.listen(), { onError: () => undefined });
  await new Promise((resolve) => client.once('ready', resolve));
});

afterEach(() => {
  client?.disconnect();
  proxy?.close();
});

describe('RedisRateLimiter on a Redis that goes silent', () => {
  it('drops the silent connection, falls back meanwhile, and decides through Redis after the heal', async () => {
    let failures = 0;
    const limiter = new RedisRateLimiter({
      client,
      prefix: `${randomName('tp_test_')}:`,
      failure: 'closed',
      onFailure: () => failures++,
    });
    const rule = { perSecond: 1_000, burst: 1_000 };
    expect((await limiter.consume('k', rule)).allowed).toBe(true);

    proxy.silence();
    // Decisions time out (250 ms each) and are refused (closed) until the connection is dropped.
    await expect
      .poll(
        async () => {
          await Promise.all(Array.from({ length: 4 }, () => limiter.consume('k', rule)));
          return limiter.silence.reconnects;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(1);
    expect(failures).toBeGreaterThanOrEqual(3);
    expect((await limiter.consume('k', rule)).allowed).toBe(false);

    proxy.heal();
    // Redis decides again: an admission, no new failure for it.
    await expect
      .poll(
        async () => {
          const before = failures;
          const decision = await limiter.consume('k', rule);
          return decision.allowed && failures === before;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);
    await limiter.close();
  }, 90_000);
});

describe('RedisCacheStore on a Redis that goes silent', () => {
  it('drops the silent connection (reads are misses meanwhile) and reads through Redis after the heal', async () => {
    const silence = new SilentRedisGuard(client);
    const store = new RedisCacheStore({
      client,
      prefix: `${randomName('tp_test_')}:`,
      compressMinBytes: 1024,
      silence,
    });
    const write = { value: Buffer.from('"0x1"'), ttlMs: 60_000, tags: [] };
    await store.set('k', write);
    expect((await store.get('k'))?.toString()).toBe('"0x1"');

    proxy.silence();
    await expect
      .poll(
        async () => {
          const reads = await Promise.all(Array.from({ length: 4 }, () => store.get('k')));
          expect(reads.every((read) => read === undefined)).toBe(true);
          return silence.reconnects;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(1);

    proxy.heal();
    await expect
      .poll(async () => (await store.get('k'))?.toString(), { timeout: 30_000, interval: 100 })
      .toBe('"0x1"');
    await store.close();
  }, 90_000);
});

describe('SilentRedisGuard', () => {
  it('drops the connection only after a run of timeouts spanning the quiet period, never for late answers', async () => {
    let now = 0;
    let reconnects = 0;
    const guard = new SilentRedisGuard(client, { now: () => now, onReconnect: () => reconnects++ });
    const timeout = new Error('Command timed out');
    // Timeouts with answers between them: a slow Redis, not a silent one.
    for (let i = 0; i < 10; i++) {
      guard.failed(timeout);
      guard.failed(timeout);
      now += 400;
      guard.answered();
    }
    // Other errors (refused, not writeable) never count: the client already knows it is down.
    for (let i = 0; i < 5; i++) guard.failed(new Error("Stream isn't writeable"));
    now += 5_000;
    guard.failed(new Error("Stream isn't writeable"));
    expect(reconnects).toBe(0);
    // A run: three timeouts, but within 1 s of the first, then one past it.
    guard.failed(timeout);
    now += 300;
    guard.failed(timeout);
    guard.failed(timeout);
    expect(reconnects).toBe(0);
    now += 700;
    const closed = new Promise((resolve) => client.once('close', resolve));
    guard.failed(timeout);
    expect(reconnects).toBe(1);
    expect(guard.reconnects).toBe(1);
    await closed;
    // It reconnects by itself.
    await expect.poll(() => client.status, { timeout: 20_000 }).toBe('ready');
  }, 60_000);
});
