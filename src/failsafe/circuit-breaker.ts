/**
 * A per-upstream circuit breaker: closed → open when the failure ratio in a sliding window
 * crosses the threshold → half-open after `openMs`, admitting a few probes → closed when they
 * all succeed, open again on any failure. It owns no timers: every transition is decided when
 * the breaker is consulted, so nothing leaks however often it flaps.
 */
import type { BreakerConfig } from '../config/schema.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

const BUCKETS = 10;

export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private openedAt = 0;
  /** Opened by `forceOpen(true)`: stays open, whatever the time, until told otherwise. */
  private held = false;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private consecutiveFailures = 0;
  private readonly successes = new Uint32Array(BUCKETS);
  private readonly failures = new Uint32Array(BUCKETS);
  private bucketStart = 0;
  private bucketIndex = 0;
  private readonly bucketMs: number;
  /** Called on every state change (metrics, logs). */
  onStateChange: ((state: BreakerState) => void) | undefined;

  constructor(
    private readonly config: BreakerConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(config.windowMs / BUCKETS));
    this.bucketStart = now();
  }

  get state(): BreakerState {
    if (this.stateValue === 'open' && !this.held && this.now() - this.openedAt >= this.config.openMs) {
      this.transition('half-open');
    }
    return this.stateValue;
  }

  /** Milliseconds until an open breaker half-opens: 0 unless open, Infinity while held open. */
  get reopensInMs(): number {
    if (this.state !== 'open') return 0;
    return this.held
      ? Number.POSITIVE_INFINITY
      : Math.max(0, this.openedAt + this.config.openMs - this.now());
  }

  /** May a request go to this upstream now? Reserves a probe slot when half-open. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.probesInFlight + this.probeSuccesses >= this.config.halfOpenProbes) return false;
    this.probesInFlight++;
    return true;
  }

  /** Would `tryAcquire` succeed? (No reservation; used for readiness and ranking.) */
  isAvailable(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.probesInFlight + this.probeSuccesses < this.config.halfOpenProbes;
  }

  recordSuccess(): void {
    if (this.stateValue === 'half-open') {
      this.probesInFlight = Math.max(0, this.probesInFlight - 1);
      this.probeSuccesses++;
      if (this.probeSuccesses >= this.config.halfOpenProbes) this.transition('closed');
      return;
    }
    this.consecutiveFailures = 0;
    this.rotate();
    this.successes[this.bucketIndex]!++;
  }

  recordFailure(): void {
    if (this.stateValue === 'half-open') {
      this.trip();
      return;
    }
    if (this.stateValue === 'open') return;
    this.rotate();
    this.failures[this.bucketIndex]!++;
    // A dead node that ranking has stopped choosing may never fill the window: N failures in a
    // row are enough evidence on their own.
    if (++this.consecutiveFailures >= this.config.consecutiveFailures) {
      this.trip();
      return;
    }
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) total += this.failures[i]! + this.successes[i]!;
    if (total >= this.config.minRequests && this.errorRate() >= this.config.failureRate) this.trip();
  }

  /** Failure ratio over the sliding window (0 when it holds no requests): the passive health signal. */
  errorRate(): number {
    this.rotate();
    let failed = 0;
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) {
      failed += this.failures[i]!;
      total += this.failures[i]! + this.successes[i]!;
    }
    return total === 0 ? 0 : failed / total;
  }

  /** A request that was admitted but ended without a verdict (aborted hedge loser). */
  release(): void {
    if (this.stateValue === 'half-open') this.probesInFlight = Math.max(0, this.probesInFlight - 1);
  }

  /**
   * Opens now on evidence from elsewhere (a health check, another cluster worker). `hold` keeps
   * it open until `forceClose` or another `forceOpen`, instead of half-opening after `openMs`:
   * for a process that leaves the recovery trials to another one.
   */
  forceOpen(hold = false): void {
    this.held = hold;
    this.trip();
  }

  /** Closes now on evidence from elsewhere (the upstream answered another process's trials). */
  forceClose(): void {
    this.held = false;
    this.transition('closed');
  }

  private trip(): void {
    this.openedAt = this.now();
    this.transition('open');
  }

  private transition(next: BreakerState): void {
    if (this.stateValue === next) return;
    if (next !== 'open') this.held = false;
    this.stateValue = next;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    this.consecutiveFailures = 0;
    if (next === 'closed') this.clearWindow();
    this.onStateChange?.(next);
  }

  private clearWindow(): void {
    this.successes.fill(0);
    this.failures.fill(0);
    this.bucketStart = this.now();
  }

  private rotate(): void {
    const now = this.now();
    let elapsed = Math.floor((now - this.bucketStart) / this.bucketMs);
    if (elapsed <= 0) return;
    if (elapsed >= BUCKETS) {
      this.clearWindow();
      return;
    }
    while (elapsed-- > 0) {
      this.bucketIndex = (this.bucketIndex + 1) % BUCKETS;
      this.successes[this.bucketIndex] = 0;
      this.failures[this.bucketIndex] = 0;
      this.bucketStart += this.bucketMs;
    }
  }
}
