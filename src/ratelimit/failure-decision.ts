/**
 * The decision when the shared limit cannot be reached (Redis down, lease authority silent):
 * fail open keeps serving (reported as one request spent from a full bucket), fail closed
 * refuses with Retry-After 1 so clients come back as soon as it may have recovered.
 */
import type { RateDecision, RateRule } from './limiter.js';

export type FailureMode = 'open' | 'closed';

export function failureDecision(rule: RateRule, mode: FailureMode): RateDecision {
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

/** Tells the metric hook; a broken hook must not turn a fallback into a crash. */
export function reportFailure(onFailure: ((err: unknown) => void) | undefined, err: unknown): void {
  try {
    onFailure?.(err);
  } catch {
    // Swallowed on purpose: see above.
  }
}
