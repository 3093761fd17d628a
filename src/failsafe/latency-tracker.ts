/**
 * Latency signals for one upstream: an EWMA of successful attempts, a failure penalty, and a
 * quantile over the last samples for hedging delays.
 *
 * Both ranking signals fade with time, because a badly ranked upstream gets no samples to
 * correct them: the penalty halves every PENALTY_HALF_LIFE_MS, and the cost of an upstream with
 * no recent sample halves every STALE_HALF_LIFE_MS, so it is tried again and its next sample
 * (weighted by how stale the old estimate was) replaces the old estimate. Without this a
 * recovered upstream stayed at a trickle of traffic for as long as the gateway ran.
 */
const RING = 256;
const RECOMPUTE_EVERY = 32;
export const PENALTY_HALF_LIFE_MS = 1_000;
export const STALE_HALF_LIFE_MS = 2_000;

export class LatencyTracker {
  private ewma: number;
  private readonly ring = new Float64Array(RING);
  private count = 0;
  private cachedQuantile = Number.NaN;
  private sinceRecompute = 0;
  private penalty = 0;
  private penaltyAt = 0;
  private sampledAt: number;

  constructor(
    private readonly quantile = 0.9,
    private readonly alpha = 0.1,
    initialMs = 1,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.ewma = initialMs;
    this.sampledAt = now();
  }

  /** EWMA of successful attempts. */
  get ewmaMs(): number {
    return this.ewma;
  }

  get samples(): number {
    return this.count;
  }

  /** The failure penalty now, decayed since it was last raised. */
  penaltyMs(): number {
    if (this.penalty === 0) return 0;
    const decayed = this.penalty * 0.5 ** ((this.now() - this.penaltyAt) / PENALTY_HALF_LIFE_MS);
    if (decayed < 0.001) this.penalty = 0;
    return decayed;
  }

  /** What ranking compares: the EWMA (faded when stale) plus the current penalty. */
  costMs(): number {
    const age = this.now() - this.sampledAt;
    const estimate = age < STALE_HALF_LIFE_MS / 8 ? this.ewma : this.ewma * 0.5 ** (age / STALE_HALF_LIFE_MS);
    return this.penalty === 0 ? estimate : estimate + this.penaltyMs();
  }

  record(ms: number): void {
    const now = this.now();
    // The older the estimate, the less it counts against a fresh sample.
    const keep = Math.min(1 - this.alpha, 0.5 ** ((now - this.sampledAt) / STALE_HALF_LIFE_MS));
    this.ewma = keep * this.ewma + (1 - keep) * ms;
    this.sampledAt = now;
    this.ring[this.count % RING] = ms;
    this.count++;
    if (++this.sinceRecompute >= RECOMPUTE_EVERY) this.cachedQuantile = Number.NaN;
    // A success is evidence of recovery: shed half the penalty.
    if (this.penalty !== 0) this.setPenalty(this.penaltyMs() / 2);
  }

  /** Raises the penalty to at least `ms` after a failure (or a lost hedge). */
  penalize(ms: number): void {
    const current = this.penaltyMs();
    if (ms > current) this.setPenalty(ms);
  }

  private setPenalty(ms: number): void {
    this.penalty = ms < 0.001 ? 0 : ms;
    this.penaltyAt = this.now();
  }

  /** The configured quantile of recent samples, or undefined before enough samples exist. */
  quantileMs(): number | undefined {
    if (this.count < 8) return undefined;
    if (Number.isNaN(this.cachedQuantile)) {
      const n = Math.min(this.count, RING);
      const sorted = this.ring.slice(0, n).sort();
      this.cachedQuantile = sorted[Math.min(n - 1, Math.floor(this.quantile * n))]!;
      this.sinceRecompute = 0;
    }
    return this.cachedQuantile;
  }
}
