/**
 * The decision when the shared limit cannot be reached (Redis down, lease authority silent):
 * fail open keeps serving (reported as one request spent from a full bucket), fail closed
 * refuses with Retry-After 1 so clients come back as soon as it may have recovered, and `local`
 * keeps limiting with this process's own GCRA buckets until the shared one answers again (so a
 * key gets at most its limit per process instead of no limit at all).
 */
import type { RateDecision, RateRule } from './limiter.js';
import { MemoryRateLimiter } from './memory-limiter.js';

export type FailureMode = 'open' | 'closed' | 'local';

export function failureDecision(rule: RateRule, mode: 'open' | 'closed'): RateDecision {
  const limit = rule.burst;
  return mode === 'open'
    ? {
        allowed: true,
        limit,
        remaining: Math.max(0, Math.floor(limit) - 1),
        resetSeconds: 0,
        retryAfterSeconds: 0,
      }
    : { allowed: false, limit, remaining: 0, resetSeconds: 1, retryAfterSeconds: 1 };
}

/** Decides for a limiter whose shared backend failed, by `mode`; `close()` with the limiter. */
export class FailureFallback {
  /** `local` only, made at the first failure: most processes never need it. */
  #local: MemoryRateLimiter | undefined;

  constructor(private readonly mode: FailureMode) {}

  decide(key: string, rule: RateRule, cost: number): RateDecision {
    if (this.mode !== 'local') return failureDecision(rule, this.mode);
    this.#local ??= new MemoryRateLimiter();
    return this.#local.consume(key, rule, cost);
  }

  async close(): Promise<void> {
    await this.#local?.close();
  }
}

/** Tells the metric hook; a broken hook must not turn a fallback into a crash. */
export function reportFailure(onFailure: ((err: unknown) => void) | undefined, err: unknown): void {
  try {
    onFailure?.(err);
  } catch {
    // Swallowed on purpose: see above.
  }
}
