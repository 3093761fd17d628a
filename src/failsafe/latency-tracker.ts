/**
 * Latency signals for one upstream: an EWMA for ranking and a quantile over the last samples
 * for hedging delays. The quantile is recomputed every few samples, not on every read.
 */
const RING = 256;
const RECOMPUTE_EVERY = 32;

export class LatencyTracker {
  private ewma: number;
  private readonly ring = new Float64Array(RING);
  private count = 0;
  private cachedQuantile = Number.NaN;
  private sinceRecompute = 0;

  constructor(
    private readonly quantile = 0.9,
    private readonly alpha = 0.1,
    initialMs = 1,
  ) {
    this.ewma = initialMs;
  }

  get ewmaMs(): number {
    return this.ewma;
  }

  get samples(): number {
    return this.count;
  }

  record(ms: number): void {
    this.ewma += this.alpha * (ms - this.ewma);
    this.ring[this.count % RING] = ms;
    this.count++;
    if (++this.sinceRecompute >= RECOMPUTE_EVERY) this.cachedQuantile = Number.NaN;
  }

  /** Pushes the EWMA up after a failure so a failing upstream ranks worse before its breaker opens. */
  penalize(ms: number): void {
    if (ms > this.ewma) this.ewma += 0.5 * (ms - this.ewma);
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
