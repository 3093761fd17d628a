/**
 * In-process GCRA limiter: one Map from key to TAT, answered synchronously.
 *
 * Bounded memory: a TAT in the past means a full bucket, exactly like a missing entry, so such
 * entries are swept in the background (a slice per tick, never a long pause). When the map still
 * reaches `maxKeys`, the entries inserted longest ago are evicted first. An evicted key starts
 * again from a full bucket, so eviction can only make the limiter more lenient, and only for the
 * keys whose bucket became busy longest ago (a key is re-inserted at the back each time its
 * bucket turns from full to busy).
 *
 * Per process only: under node:cluster use the lease limiter (or Redis) instead, or N workers
 * would admit N times the limit.
 */
import { admit, conformsInMs, describe } from './gcra.js';
import type { RateDecision, RateLimiter, RateRule } from './limiter.js';

export interface MemoryRateLimiterOptions {
  /** Clock in ms (fractions allowed). @default performance.timeOrigin + performance.now() */
  now?: () => number;
  /** Most keys held at once; the oldest are evicted beyond it. @default 1_000_000 */
  maxKeys?: number;
  /** How often the background sweep runs; 0 disables it (tests call `sweep()`). @default 1000 */
  sweepIntervalMs?: number;
  /** Entries visited per background sweep tick. @default 10_000 */
  sweepBatch?: number;
}

/** Monotonic wall-clock-like ms: immune to NTP steps, unlike Date.now(). */
function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, number>();
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #sweepBatch: number;
  readonly #timer: NodeJS.Timeout | undefined;
  #cursor: MapIterator<[string, number]>;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.#now = options.now ?? monotonicNow;
    this.#maxKeys = Math.max(1, options.maxKeys ?? 1_000_000);
    this.#sweepBatch = Math.max(1, options.sweepBatch ?? 10_000);
    this.#cursor = this.#buckets.entries();
    const interval = options.sweepIntervalMs ?? 1000;
    if (interval > 0) {
      this.#timer = setInterval(() => this.sweep(this.#sweepBatch), interval);
      // A limiter must never keep the process alive.
      this.#timer.unref();
    }
  }

  /** Keys currently held (busy buckets, plus idle ones not yet swept). */
  get size(): number {
    return this.#buckets.size;
  }

  consume(key: string, rule: RateRule, cost = 1): RateDecision {
    const now = this.#now();
    const stored = this.#buckets.get(key);
    const next = admit(stored, now, rule, cost);
    if (Number.isNaN(next)) return describe(false, stored, now, rule, cost);
    if (stored === undefined || stored <= now) {
      // Full bucket turning busy: (re-)insert at the back of the eviction order.
      if (stored !== undefined) this.#buckets.delete(key);
      else if (this.#buckets.size >= this.#maxKeys) this.#evict(now);
    }
    this.#buckets.set(key, next);
    return describe(true, next, now, rule, cost);
  }

  /** Ms until `cost` would conform for `key` (0 = now), without taking anything. */
  waitMs(key: string, rule: RateRule, cost = 1): number {
    return conformsInMs(this.#buckets.get(key), this.#now(), rule, cost);
  }

  /**
   * Visits up to `maxEntries` entries from where the last sweep stopped (wrapping around once)
   * and drops those whose bucket is full again. Returns how many were dropped.
   */
  sweep(maxEntries = this.#buckets.size): number {
    const now = this.#now();
    let removed = 0;
    let wrapped = false;
    for (let visited = 0; visited < maxEntries; ) {
      const step = this.#cursor.next();
      if (step.done === true) {
        this.#cursor = this.#buckets.entries();
        if (wrapped || this.#buckets.size === 0) break;
        wrapped = true;
        continue;
      }
      visited++;
      const [key, tat] = step.value;
      if (tat <= now) {
        this.#buckets.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#buckets.clear();
  }

  /** Makes room for one key: 1 % of the cap at a time, so a flood of new keys costs O(1) each. */
  #evict(now: number): void {
    let budget = Math.max(1, Math.ceil(this.#maxKeys / 100));
    for (const [key, tat] of this.#buckets) {
      if (budget-- === 0) break;
      this.#buckets.delete(key);
      // Idle entries go for free; a busy one costs leniency, so stop once there is room.
      if (tat > now && this.#buckets.size < this.#maxKeys) break;
    }
  }
}
