/**
 * The one GCRA that all node:cluster workers share when there is no Redis: it lives in the
 * primary and hands out tokens in small batches (leases) that workers spend locally, so N
 * workers admit the limit once, not N times. Transport-agnostic: the caller carries `grant`
 * requests and answers over IPC (everything in them is plain JSON).
 */
import type { RateDecision, RateRule } from './limiter.js';
import { MemoryRateLimiter, type MemoryRateLimiterOptions } from './memory-limiter.js';

export interface LeaseGrant {
  /** Tokens handed out: 0, or between `min` and `want`. */
  readonly granted: number;
  /**
   * The authority's decision: when granted, `remaining` is what is left after the grant; when
   * not, `retryAfterSeconds` is the wait until `min` tokens would conform.
   */
  readonly decision: RateDecision;
  /**
   * When nothing was granted: ms until `min` tokens conform, precise enough for the worker to
   * refuse locally until then instead of asking again for every request. Otherwise 0.
   */
  readonly retryInMs: number;
}

export class LeaseAuthority {
  readonly #limiter: MemoryRateLimiter;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.#limiter = new MemoryRateLimiter(options);
  }

  /**
   * Grants as many of `want` tokens as conform right now, or none if fewer than `min` do
   * (a request of cost 3 has no use for 2 tokens). GCRA with partial grants.
   */
  grant(key: string, rule: RateRule, want: number, min = 1): LeaseGrant {
    want = Math.max(want, min);
    const whole = this.#limiter.consume(key, rule, want);
    if (whole.allowed) return { granted: want, decision: whole, retryInMs: 0 };
    // `remaining` is exactly what conforms now (a refusal changed nothing). Below `min`, asking
    // for `min` yields the refusal with its honest Retry-After, or a grant if time moved on.
    const fit = Math.max(min, Math.min(whole.remaining, want - 1));
    const part = this.#limiter.consume(key, rule, fit);
    if (part.allowed) return { granted: fit, decision: part, retryInMs: 0 };
    return { granted: 0, decision: part, retryInMs: this.#limiter.waitMs(key, rule, fit) };
  }

  async close(): Promise<void> {
    await this.#limiter.close();
  }
}
