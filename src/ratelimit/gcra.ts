/**
 * GCRA (generic cell rate algorithm) as pure functions of an explicit clock, shared by the
 * memory, Redis and lease limiters so every implementation answers with the same numbers.
 *
 * The only state is the theoretical arrival time (TAT, ms): when the bucket would be full again.
 * Each request of cost `c` moves it `c × T` later, where T = 1000 / perSecond is the emission
 * interval; a request conforms iff the new TAT is at most `now + burst × T` after `now`. From a
 * full bucket (TAT <= now) that admits `burst` at once, and `perSecond` thereafter.
 */
import type { RateDecision, RateRule } from './limiter.js';

/**
 * Slack (ms) in the conformance test, so float rounding of fractional intervals (3/s → 333.33 ms)
 * or of epoch-sized timestamps never refuses a request that is exactly on time.
 */
export const GCRA_SLACK_MS = 1e-3;

/** Emission interval: ms between two requests at the sustained rate. */
export function emissionInterval(rule: RateRule): number {
  return 1000 / rule.perSecond;
}

/**
 * The TAT after admitting `cost` at `now`, or NaN when the request does not conform (a refused
 * request leaves the stored TAT untouched). `tat` may be undefined for an unseen key.
 */
export function admit(tat: number | undefined, now: number, rule: RateRule, cost: number): number {
  const interval = emissionInterval(rule);
  const base = tat === undefined || tat < now ? now : tat;
  const next = base + cost * interval;
  return next - now <= rule.burst * interval + GCRA_SLACK_MS ? next : Number.NaN;
}

/**
 * Ms until a request of `cost` would conform (0 = now). A cost above the burst never conforms;
 * for it this is the wait until the bucket is full (see `describe`).
 */
export function conformsInMs(tat: number | undefined, now: number, rule: RateRule, cost: number): number {
  const interval = emissionInterval(rule);
  const backlog = tat === undefined || tat < now ? 0 : tat - now;
  if (cost > rule.burst) return backlog;
  return Math.max(0, backlog + cost * interval - rule.burst * interval - GCRA_SLACK_MS);
}

/**
 * Header values after a decision. `tat` is the state after it (the new TAT when allowed, the
 * unchanged one when refused).
 *
 * - remaining: whole requests that would conform right now.
 * - resetSeconds: until the bucket is full (TAT <= now).
 * - retryAfterSeconds (refused only, >= 1): until this request would conform. A cost above the
 *   burst can never conform; for it we report the wait until the bucket is full, the soonest
 *   moment the largest admissible request (`limit`) fits. Retrying it unchanged is refused
 *   again: callers detect that case as `cost > decision.limit` and must split the request.
 */
export function describe(
  allowed: boolean,
  tat: number | undefined,
  now: number,
  rule: RateRule,
  cost: number,
): RateDecision {
  const interval = emissionInterval(rule);
  const tolerance = rule.burst * interval;
  const backlog = tat === undefined || tat < now ? 0 : tat - now;
  const fits = Math.floor((tolerance - backlog + GCRA_SLACK_MS) / interval);
  const remaining = Math.max(0, Math.min(Math.floor(rule.burst), fits));
  const resetSeconds = Math.ceil(backlog / 1000);
  const retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil(conformsInMs(tat, now, rule, cost) / 1000));
  return { allowed, limit: rule.burst, remaining, resetSeconds, retryAfterSeconds };
}
