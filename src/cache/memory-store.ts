/**
 * The in-process cache tier: an LRU bounded by bytes (lru-cache), per-entry TTL, and a tag
 * index (block hash → keys) so a reorg drops exactly the entries it touched, in time
 * proportional to those entries. The index is updated from lru-cache's `dispose` callback, so
 * evicted, expired, overwritten and deleted entries leave it too and it never outgrows the LRU.
 */
import { LRUCache } from 'lru-cache';
import type { CacheStore, CacheWrite } from './cache-store.js';

export interface MemoryCacheStoreOptions {
  /** Bytes the LRU may hold: values + keys + an estimated overhead per entry. */
  memoryBytes: number;
  /** Larger values are not kept (a write of one drops the key's older value). */
  maxEntryBytes: number;
}

/**
 * Heap bytes one entry costs beyond its key characters and value bytes: the Buffer object
 * and its own ArrayBuffer, lru-cache's Map entry and per-index slots (TTL, size, links).
 * Measured at ~500 bytes on Node 20 (200k entries, 72-char keys, heapUsed + arrayBuffers).
 */
export const ENTRY_OVERHEAD_BYTES = 512;
/** Per tag of a tagged entry: its slot in the entry's tag list and in the tag's key set. */
export const TAG_OVERHEAD_BYTES = 96;

export class MemoryCacheStore implements CacheStore {
  readonly #lru: LRUCache<string, Buffer>;
  readonly #maxEntryBytes: number;
  readonly #memoryBytes: number;
  /** tag → keys of live entries carrying it. */
  readonly #keysByTag = new Map<string, Set<string>>();
  /** key → its tags, for tagged entries only (most entries are final and untagged). */
  readonly #tagsByKey = new Map<string, readonly string[]>();
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(options: MemoryCacheStoreOptions) {
    this.#memoryBytes = options.memoryBytes;
    this.#maxEntryBytes = options.maxEntryBytes;
    this.#lru = new LRUCache<string, Buffer>({
      maxSize: options.memoryBytes,
      sizeCalculation: (value, key) => this.#entryBytes(key, value.length, this.#tagsByKey.get(key)),
      // Synchronous, from inside set/get/delete: the index never lags the LRU.
      dispose: (_value, key, reason) => {
        if (reason === 'evict') this.#evictions++;
        this.#unindex(key);
      },
    });
  }

  get(key: string): Buffer | undefined {
    const value = this.#lru.get(key);
    if (value === undefined) this.#misses++;
    else this.#hits++;
    return value;
  }

  getLocal(key: string): Buffer | undefined {
    return this.get(key);
  }

  set(key: string, write: CacheWrite): void {
    const { value, ttlMs, tags } = write;
    // A value too big for this tier still replaces the key: the older value is outdated now.
    if (
      value.length > this.#maxEntryBytes ||
      this.#entryBytes(key, value.length, tags) > this.#memoryBytes ||
      !(ttlMs > 0)
    ) {
      this.#lru.delete(key);
      return;
    }
    // Remove the old entry first, so its dispose cannot unindex tags the new one shares.
    this.#lru.delete(key);
    if (tags.length > 0) this.#tagsByKey.set(key, tags);
    this.#lru.set(key, ownedCopy(value), { ttl: ttlMs === Number.POSITIVE_INFINITY ? 0 : ttlMs });
    for (const tag of tags) {
      let keys = this.#keysByTag.get(tag);
      if (keys === undefined) {
        keys = new Set();
        this.#keysByTag.set(tag, keys);
      }
      keys.add(key);
    }
  }

  invalidateTags(tags: readonly string[]): number {
    let dropped = 0;
    for (const tag of tags) {
      const keys = this.#keysByTag.get(tag);
      if (keys === undefined) continue;
      // Copy: each delete's dispose edits this very set.
      for (const key of [...keys]) if (this.#drop(key)) dropped++;
      this.#keysByTag.delete(tag);
    }
    return dropped;
  }

  /**
   * Drops every tagged (not yet final) entry, e.g. after invalidation broadcasts may have been
   * missed. Final data stays. Returns how many were dropped.
   */
  invalidateAllTagged(): number {
    let dropped = 0;
    for (const key of [...this.#tagsByKey.keys()]) if (this.#drop(key)) dropped++;
    return dropped;
  }

  /** Remaining TTL of a live entry in ms (Infinity = none), 0 when absent. */
  remainingTtlMs(key: string): number {
    return this.#lru.getRemainingTTL(key);
  }

  /** Entries held (expired ones linger until touched or evicted). */
  get size(): number {
    return this.#lru.size;
  }

  /** Bytes held as counted against `memoryBytes`. */
  get calculatedSize(): number {
    return this.#lru.calculatedSize;
  }

  /** Distinct tags in the index (bounded by the tagged entries held). */
  get tagCount(): number {
    return this.#keysByTag.size;
  }

  get stats(): { hits: number; misses: number; evictions: number } {
    return { hits: this.#hits, misses: this.#misses, evictions: this.#evictions };
  }

  async close(): Promise<void> {
    this.#lru.clear();
  }

  /** Deletes `key`; true when it was live (an expired entry lingering in the LRU does not count). */
  #drop(key: string): boolean {
    const live = this.#lru.has(key);
    this.#lru.delete(key);
    return live;
  }

  #entryBytes(key: string, valueBytes: number, tags: readonly string[] | undefined): number {
    const tagBytes = tags === undefined ? 0 : tags.length * TAG_OVERHEAD_BYTES;
    return valueBytes + key.length + ENTRY_OVERHEAD_BYTES + tagBytes;
  }

  #unindex(key: string): void {
    const tags = this.#tagsByKey.get(key);
    if (tags === undefined) return;
    this.#tagsByKey.delete(key);
    for (const tag of tags) {
      const keys = this.#keysByTag.get(tag);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.#keysByTag.delete(tag);
    }
  }
}

/**
 * A value that is a view into a larger ArrayBuffer (Node's 8 KiB pool, a socket read) would
 * keep all of it alive while counted as its own length; copy it into a buffer of its own.
 */
function ownedCopy(value: Buffer): Buffer {
  if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
  const copy = Buffer.allocUnsafeSlow(value.length);
  value.copy(copy);
  return copy;
}
