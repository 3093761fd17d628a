/**
 * Memory in front of Redis, behind the one `CacheStore` interface. Reads try memory, then
 * Redis (a Redis hit is copied into memory with its remaining TTL and tags). Writes land in
 * memory at once and reach Redis in the background, off the request path. Invalidations clear
 * both tiers and are broadcast on Redis pub/sub so every other instance drops the tags from
 * its memory tier too; an instance ignores its own broadcasts.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../store/redis.js';
import type { CacheStore, CacheWrite } from './cache-store.js';
import type { MemoryCacheStore } from './memory-store.js';
import type { RedisCacheStore } from './redis-store.js';

export interface TieredCacheStoreOptions {
  memory: MemoryCacheStore;
  /** Its own `onFailure` counts Redis failures, background writes included. */
  redis: RedisCacheStore;
  /** Publishes invalidations (the Redis tier's client will do). Not owned. */
  publisher: RedisClient;
  /**
   * A dedicated connection for SUBSCRIBE, e.g. `connectRedis(url, { offlineQueue: true,
   * commandTimeoutMs: 0 })`. Not owned: `close()` only unsubscribes.
   */
  subscriber: RedisClient;
  /** Prefix of the channel `${prefix}cache:invalidate`. @default '' */
  prefix?: string;
  /** Told when a broadcast cannot be published or subscribed to, or arrives malformed. */
  onFailure?: (err: unknown) => void;
  /** Tells this instance's broadcasts from the others'. @default random */
  instanceId?: string;
}

/** What goes over the channel: who invalidated, and which tags. */
interface InvalidationNotice {
  from: string;
  tags: string[];
}

/** A dead subscriber with an offline queue would hold UNSUBSCRIBE forever. */
const UNSUBSCRIBE_WAIT_MS = 1_000;

export class TieredCacheStore implements CacheStore {
  readonly #memory: MemoryCacheStore;
  readonly #redis: RedisCacheStore;
  readonly #publisher: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #channel: string;
  readonly #instanceId: string;
  readonly #onFailure: ((err: unknown) => void) | undefined;
  readonly #subscribed: Promise<void>;
  /** Redis writes still in flight. */
  readonly #pending = new Set<Promise<void>>();
  /**
   * Bumped by every invalidation, local or remote: a Redis read that started before one may
   * return what it just removed, so it is not copied into memory.
   */
  #generation = 0;
  #wasReady: boolean;

  constructor(options: TieredCacheStoreOptions) {
    this.#memory = options.memory;
    this.#redis = options.redis;
    this.#publisher = options.publisher;
    this.#subscriber = options.subscriber;
    this.#channel = `${options.prefix ?? ''}cache:invalidate`;
    this.#instanceId = options.instanceId ?? randomBytes(8).toString('hex');
    this.#onFailure = options.onFailure;
    this.#wasReady = this.#subscriber.status === 'ready';
    this.#subscriber.on('message', this.#onMessage);
    this.#subscriber.on('ready', this.#onReady);
    this.#subscribed = this.#subscriber.subscribe(this.#channel).then(
      () => undefined,
      (err: unknown) => this.#fail(err),
    );
  }

  /** This instance's id in its broadcasts. */
  get instanceId(): string {
    return this.#instanceId;
  }

  /** Resolves once the subscription is in place (or failed, which `onFailure` heard). */
  whenSubscribed(): Promise<void> {
    return this.#subscribed;
  }

  get(key: string): Buffer | undefined | Promise<Buffer | undefined> {
    const hit = this.#memory.get(key);
    return hit !== undefined ? hit : this.#readThrough(key);
  }

  getLocal(key: string): Buffer | undefined {
    return this.#memory.get(key);
  }

  set(key: string, write: CacheWrite): void {
    this.#memory.set(key, write);
    // RedisCacheStore.set never rejects; failures go to its onFailure.
    const pending = this.#redis.set(key, write).finally(() => this.#pending.delete(pending));
    this.#pending.add(pending);
  }

  /**
   * Returns the larger of the two tiers' counts: an entry held by both counts once, as long as
   * one tier holds every entry the other does (the usual case).
   */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0;
    // A background write queued before this call must not land after the Redis deletion.
    await this.flush();
    this.#generation++;
    const inMemory = this.#memory.invalidateTags(tags);
    const inRedis = await this.#redis.invalidateTags(tags);
    // After the Redis deletion, so another instance cannot refill its memory from Redis.
    const notice: InvalidationNotice = { from: this.#instanceId, tags: [...tags] };
    await this.#publisher
      .publish(this.#channel, JSON.stringify(notice))
      .catch((err: unknown) => this.#fail(err));
    return Math.max(inMemory, inRedis);
  }

  /** Waits for the Redis writes in flight. */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** Unsubscribes and lets pending Redis writes finish; the connections stay open. */
  async close(): Promise<void> {
    this.#subscriber.off('message', this.#onMessage);
    this.#subscriber.off('ready', this.#onReady);
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, UNSUBSCRIBE_WAIT_MS);
      timer.unref();
    });
    const unsubscribed = this.#subscriber.unsubscribe(this.#channel).then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([unsubscribed, gaveUp]);
    clearTimeout(timer);
    await this.flush();
    await Promise.all([this.#memory.close(), this.#redis.close()]);
  }

  async #readThrough(key: string): Promise<Buffer | undefined> {
    const generation = this.#generation;
    const entry = await this.#redis.getEntry(key);
    if (entry === undefined) return undefined;
    if (generation === this.#generation) this.#memory.set(key, entry);
    return entry.value;
  }

  readonly #onMessage = (channel: string, message: string): void => {
    if (channel !== this.#channel) return;
    const notice = parseNotice(message);
    if (notice === undefined) {
      this.#fail(new Error(`malformed cache invalidation notice: ${message.slice(0, 200)}`));
      return;
    }
    if (notice.from === this.#instanceId) return;
    this.#generation++;
    this.#memory.invalidateTags(notice.tags);
  };

  /**
   * Broadcasts sent while the subscriber was disconnected are lost, so after a reconnect the
   * tagged (unfinalized) entries in memory may be orphaned: drop them. Final data stays.
   */
  readonly #onReady = (): void => {
    if (this.#wasReady) {
      this.#generation++;
      this.#memory.invalidateAllTagged();
    }
    this.#wasReady = true;
  };

  #fail(err: unknown): void {
    try {
      this.#onFailure?.(err);
    } catch {
      // A broken metric hook must not break the cache.
    }
  }
}

function parseNotice(message: string): InvalidationNotice | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { from, tags } = parsed as Partial<Record<keyof InvalidationNotice, unknown>>;
    if (typeof from !== 'string' || !Array.isArray(tags)) return undefined;
    if (!tags.every((tag): tag is string => typeof tag === 'string')) return undefined;
    return { from, tags };
  } catch {
    return undefined;
  }
}
