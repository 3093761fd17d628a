/**
 * The decision when the shared limit cannot be reached (Redis down, lease authority silent):
 * fail open keeps serving (reported as one request spent from a full bucket), fail closed
 * refuses with Retry-After 1 so clients come back as soon as it may have recovered, and `local`
 * keeps limiting with this process's own GCRA buckets until the shared one answers again. Each
 * local bucket gets this process's share of the rule, limit / N (rate and burst) for the fleet
 * size N the caller last saw, so N processes together stay within the limit. The burst share is
 * at least 1, or a key whose burst is below N would be refused everywhere.
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

/** One process's part of a fleet-wide rule: limit / fleetSize, the burst at least 1. */
export function shareOf(rule: RateRule, fleetSize: number): RateRule {
  const size = Math.max(1, fleetSize);
  if (size === 1) return rule;
  return { perSecond: rule.perSecond / size, burst: Math.max(1, rule.burst / size) };
}

/** Decides for a limiter whose shared backend failed, by `mode`; `close()` with the limiter. */
export class FailureFallback {
  /** `local` only, made at the first failure: most processes never need it. */
  #local: MemoryRateLimiter | undefined;

  /** `fleetSize`: how many processes share the limit (`local` only). @default () => 1 */
  constructor(
    private readonly mode: FailureMode,
    private readonly fleetSize: () => number = () => 1,
  ) {}

  decide(key: string, rule: RateRule, cost: number): RateDecision {
    if (this.mode !== 'local') return failureDecision(rule, this.mode);
    this.#local ??= new MemoryRateLimiter();
    const decision = this.#local.consume(key, shareOf(rule, this.fleetSize()), cost);
    // Headers keep reporting the key's own limit, not this process's share of it.
    return decision.limit === rule.burst ? decision : { ...decision, limit: rule.burst };
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
