/**
 * One interface for every cache tier (in-process LRU, Redis), with one conformance suite.
 * Values are the exact bytes of a JSON-RPC `result`; tiers may compress them (codec.ts).
 * Entries that depend on blocks not yet final carry those blocks' hashes as tags, so a reorg
 * can drop exactly them.
 */

export interface CacheWrite {
  /** The `result` bytes. */
  readonly value: Buffer;
  /** Time to live in ms; `Number.POSITIVE_INFINITY` = until evicted. */
  readonly ttlMs: number;
  /** Block hashes (lowercase 0x…) the value depends on; empty for final data. */
  readonly tags: readonly string[];
}

export interface CacheStore {
  /** The value, or undefined on a miss (a tier that fails answers undefined, never throws). */
  get(key: string): Buffer | undefined | Promise<Buffer | undefined>;
  /**
   * The value from the in-process tier only, synchronously (no Redis round trip); absent when the
   * store has no such tier.
   */
  getLocal?(key: string): Buffer | undefined;
  set(key: string, write: CacheWrite): void | Promise<void>;
  /** Drops every entry tagged with any of `tags`; returns how many were dropped. */
  invalidateTags(tags: readonly string[]): number | Promise<number>;
  close(): Promise<void>;
}
