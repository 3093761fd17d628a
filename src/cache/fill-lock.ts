/**
 * Cross-instance stampede guard: the first instance to miss a key takes a short Redis lock
 * (`SET NX PX`) while it asks the upstream; the others poll the shared tier for its answer
 * until the lock's time runs out, then ask the upstream themselves. A Redis failure means no
 * lock (everyone asks): the guard can only save upstream calls, never block a request.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../store/redis.js';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const POLL_MS = 20;

export interface FillLock {
  /** A release function when this instance holds the lock; undefined when another does. */
  acquire(key: string): Promise<(() => void) | undefined>;
  /** Polls `read` until it yields a value or the lock's time is up. */
  waitFor(
    key: string,
    read: () => Buffer | undefined | Promise<Buffer | undefined>,
  ): Promise<Buffer | undefined>;
}

export class RedisFillLock implements FillLock {
  private readonly owner = randomBytes(8).toString('hex');

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly lockMs: number,
    private readonly onFailure: (err: unknown) => void = () => undefined,
  ) {}

  async acquire(key: string): Promise<(() => void) | undefined> {
    const lockKey = `${this.prefix}cl:${key}`;
    try {
      const set = await this.client.set(lockKey, this.owner, 'PX', this.lockMs, 'NX');
      if (set !== 'OK') return undefined;
    } catch (err) {
      this.onFailure(err);
      return () => undefined;
    }
    return () => {
      this.client.eval(RELEASE, 1, lockKey, this.owner).catch(this.onFailure);
    };
  }

  async waitFor(
    key: string,
    read: () => Buffer | undefined | Promise<Buffer | undefined>,
  ): Promise<Buffer | undefined> {
    const until = performance.now() + this.lockMs;
    while (performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const value = await read();
      if (value !== undefined) return value;
      // Released: the holder stored its answer (its write goes out just before the release,
      // but may land a moment later than our read) or failed. Look a few more times, then go.
      const held = await this.client.exists(`${this.prefix}cl:${key}`).catch(() => 0);
      if (held === 0) return this.lastLook(read);
    }
    return undefined;
  }

  private async lastLook(
    read: () => Buffer | undefined | Promise<Buffer | undefined>,
  ): Promise<Buffer | undefined> {
    for (let i = 0; i < 3; i++) {
      const value = await read();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS / 2));
    }
    return undefined;
  }
}
