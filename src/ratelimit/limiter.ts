/**
 * One interface for rate-limit decisions, with an in-process and a Redis implementation
 * (one conformance suite for both). The algorithm is GCRA: a smooth rate with a burst.
 */

export interface RateRule {
  /** Sustained requests per second. */
  readonly perSecond: number;
  /** Requests that may arrive at once after a quiet spell (>= 1). */
  readonly burst: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** The burst: what `RateLimit-Limit` reports. */
  readonly limit: number;
  /** Requests that could still be sent right now. */
  readonly remaining: number;
  /** Seconds until the bucket is full again (`RateLimit-Reset`). */
  readonly resetSeconds: number;
  /** When refused: seconds until this request would be admitted (`Retry-After`); else 0. */
  readonly retryAfterSeconds: number;
}

export interface RateLimiter {
  /**
   * Takes `cost` requests from `key`'s bucket if they conform, atomically. The in-process
   * limiter answers synchronously; Redis answers with a promise.
   */
  consume(key: string, rule: RateRule, cost?: number): RateDecision | Promise<RateDecision>;
  close(): Promise<void>;
}
