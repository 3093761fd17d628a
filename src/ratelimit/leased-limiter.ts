/**
 * A worker's side of the shared limit under node:cluster without Redis. Tokens come from the
 * primary's `LeaseAuthority` in small batches and are spent locally, so most decisions are
 * synchronous and the limit holds across all workers together (a limiter per worker would admit
 * N times the limit).
 *
 * Safety: every admission spends a token the authority granted, so the total never exceeds one
 * GCRA's (fail-open admissions aside, while the authority is unreachable). Tokens unused within
 * `leaseMs` of the last grant expire; that wastes them, which can only make the limit stricter.
 * A token may be spent up to `leaseMs` after the authority counted it, so within a short window
 * admissions may bunch by up to one lease per worker.
 */
import { FailureFallback, type FailureMode, reportFailure } from './failure-decision.js';
import type { LeaseGrant } from './lease-authority.js';
import type { RateDecision, RateLimiter, RateRule } from './limiter.js';

/** The transport to the authority: `LeaseAuthority.grant` carried over IPC. */
export type GrantRequest = (key: string, rule: RateRule, want: number, min: number) => Promise<LeaseGrant>;

export interface LeasedRateLimiterOptions {
  requestGrant: GrantRequest;
  /** When the authority fails or times out: `open` admits, `closed` refuses with Retry-After 1, `local` uses this process's buckets. */
  failure: FailureMode;
  /** Called on each failed request to the authority. Must not throw. */
  onFailure?: (err: unknown) => void;
  /** Clock for lease expiry, ms. @default performance.timeOrigin + performance.now() */
  now?: () => number;
  /** How long granted tokens stay usable. @default 250 */
  leaseMs?: number;
  /** An authority slower than this counts as failed; its late grant is dropped. @default 1000 */
  grantTimeoutMs?: number;
  /** How often leases that expired are forgotten; 0 disables. @default 5000 */
  sweepIntervalMs?: number;
}

/**
 * Tokens asked for per trip: ~50 ms of the rate, at most a quarter of the burst (so a few
 * workers can hold leases at once without draining the bucket), at least 1.
 */
export function leaseBatchSize(rule: RateRule): number {
  return Math.max(1, Math.min(Math.ceil(rule.perSecond * 0.05), Math.ceil(rule.burst / 4)));
}

interface Lease {
  tokens: number;
  expiresAt: number;
  /** The authority's latest answer, for the headers of local decisions. */
  last: RateDecision | undefined;
  /** The latest trip got less than it asked for: the authority is out of tokens for now. */
  short: boolean;
  /** The latest trip failed or timed out. */
  failed: boolean;
  /**
   * After a refusal: until when (this worker's clock) a request missing `deniedNeed` tokens or
   * more is refused here without a trip. Spares the authority one message per refused request.
   */
  deniedUntil: number;
  deniedNeed: number;
  /** The trip in progress; concurrent misses on this key wait for it instead of asking again. */
  inflight: Promise<void> | undefined;
}

function newLease(): Lease {
  return {
    tokens: 0,
    expiresAt: 0,
    last: undefined,
    short: false,
    failed: false,
    deniedUntil: 0,
    deniedNeed: 0,
    inflight: undefined,
  };
}

function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

class GrantTimeoutError extends Error {
  constructor(ms: number) {
    super(`lease authority did not answer within ${ms} ms`);
    this.name = 'GrantTimeoutError';
  }
}

export class LeasedRateLimiter implements RateLimiter {
  readonly #leases = new Map<string, Lease>();
  readonly #requestGrant: GrantRequest;
  readonly #fallback: FailureFallback;
  readonly #onFailure: ((err: unknown) => void) | undefined;
  readonly #now: () => number;
  readonly #leaseMs: number;
  readonly #timeoutMs: number;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(options: LeasedRateLimiterOptions) {
    this.#requestGrant = options.requestGrant;
    this.#fallback = new FailureFallback(options.failure);
    this.#onFailure = options.onFailure;
    this.#now = options.now ?? monotonicNow;
    this.#leaseMs = options.leaseMs ?? 250;
    this.#timeoutMs = options.grantTimeoutMs ?? 1000;
    const interval = options.sweepIntervalMs ?? 5000;
    if (interval > 0) {
      this.#timer = setInterval(() => this.sweep(), interval);
      this.#timer.unref();
    }
  }

  consume(key: string, rule: RateRule, cost = 1): RateDecision | Promise<RateDecision> {
    const lease = this.#leases.get(key);
    if (lease !== undefined) {
      if (this.#take(lease, cost)) return this.#allowed(lease, rule);
      if (this.#denied(lease, cost)) return this.#refused(lease, rule, cost);
    }
    // Never conforms: no need to ask.
    if (cost > rule.burst) return this.#refused(lease, rule, cost);
    return this.#consumeRemote(key, rule, cost);
  }

  /** Forgets leases with no usable tokens and no trip in progress. Returns how many. */
  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const [key, lease] of this.#leases) {
      if (lease.inflight === undefined && (lease.tokens === 0 || lease.expiresAt <= now)) {
        this.#leases.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#leases.clear();
    await this.#fallback.close();
  }

  async #consumeRemote(key: string, rule: RateRule, cost: number): Promise<RateDecision> {
    // Each round either admits, refuses, or follows a full grant that concurrent callers used
    // up; the authority runs dry eventually, so the loop ends.
    for (;;) {
      let lease = this.#leases.get(key);
      if (lease === undefined) {
        lease = newLease();
        this.#leases.set(key, lease);
      }
      lease.inflight ??= this.#ask(key, rule, lease, cost);
      await lease.inflight;
      if (this.#take(lease, cost)) return this.#allowed(lease, rule);
      if (lease.failed) return this.#fallback.decide(key, rule, cost);
      if (lease.short || this.#denied(lease, cost)) return this.#refused(lease, rule, cost);
    }
  }

  async #ask(key: string, rule: RateRule, lease: Lease, cost: number): Promise<void> {
    this.#expire(lease);
    const need = Math.max(1, cost - lease.tokens);
    const want = Math.max(need, leaseBatchSize(rule));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GrantTimeoutError(this.#timeoutMs)), this.#timeoutMs);
    });
    try {
      const grant = await Promise.race([this.#requestGrant(key, rule, want, need), timeout]);
      this.#expire(lease);
      if (grant.granted > 0) {
        // Leftover tokens share the new expiry: a lease holds at most ~2 batches.
        lease.tokens += grant.granted;
        lease.expiresAt = this.#now() + this.#leaseMs;
      }
      lease.last = grant.decision;
      lease.short = grant.granted < want;
      lease.failed = false;
      const denied = grant.granted === 0 && grant.retryInMs > 0;
      lease.deniedUntil = denied ? this.#now() + grant.retryInMs : 0;
      lease.deniedNeed = denied ? need : 0;
    } catch (err) {
      lease.failed = true;
      reportFailure(this.#onFailure, err);
    } finally {
      clearTimeout(timer);
      lease.inflight = undefined;
    }
  }

  #denied(lease: Lease, cost: number): boolean {
    return cost - lease.tokens >= lease.deniedNeed && this.#now() < lease.deniedUntil;
  }

  #expire(lease: Lease): void {
    if (lease.expiresAt <= this.#now()) lease.tokens = 0;
  }

  #take(lease: Lease, cost: number): boolean {
    this.#expire(lease);
    if (lease.tokens < cost) return false;
    lease.tokens -= cost;
    return true;
  }

  /** What this worker could still send: the authority's remainder plus tokens held here. */
  #remaining(lease: Lease, rule: RateRule): number {
    return Math.min(Math.floor(rule.burst), (lease.last?.remaining ?? 0) + Math.floor(lease.tokens));
  }

  #allowed(lease: Lease, rule: RateRule): RateDecision {
    return {
      allowed: true,
      limit: rule.burst,
      remaining: this.#remaining(lease, rule),
      resetSeconds: lease.last?.resetSeconds ?? 0,
      retryAfterSeconds: 0,
    };
  }

  /**
   * Retry-After (>= 1) is estimated from the authority's last answer plus the tokens still
   * missing here at the sustained rate. A cost above the burst reports the last known wait
   * until the bucket is full, as GCRA does.
   */
  #refused(lease: Lease | undefined, rule: RateRule, cost: number): RateDecision {
    const resetSeconds = lease?.last?.resetSeconds ?? 0;
    let waitMs = resetSeconds * 1000;
    if (lease !== undefined && cost <= rule.burst) {
      const missing = Math.max(0, cost - lease.tokens - lease.deniedNeed);
      waitMs = Math.max(0, lease.deniedUntil - this.#now()) + (missing * 1000) / rule.perSecond;
    }
    return {
      allowed: false,
      limit: rule.burst,
      remaining: lease === undefined ? Math.floor(rule.burst) : this.#remaining(lease, rule),
      resetSeconds,
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
    };
  }
}
