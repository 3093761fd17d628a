/**
 * Up/down state of upstreams shared by the workers of a cluster, so a worker without traffic
 * does not go on calling a dead upstream healthy. A worker whose own calls or probes open an
 * upstream's breaker reports it down; one whose own calls close it again reports it up. Only
 * changes of that state are sent (the breaker's hysteresis bounds how often it changes), never
 * single failures, and a change learned from another worker is not sent back.
 *
 * Recovery is decided by the process that probes (`decidesRecovery`): a down report opens its
 * breaker as usual, so it half-opens after `openMs` and its probes are the trials. The other
 * workers hold the breaker open until someone reports the upstream up, rather than half-opening
 * on their own clock and showing a dead upstream available until a request tries it.
 */
import type { BreakerState } from '../failsafe/circuit-breaker.js';
import type { FailureReason } from './failure-reason.js';
import type { Upstream } from './upstream.js';

/** A change of an upstream's shared state. */
export interface HealthState {
  readonly down: boolean;
  /** Why the reporter's latest call failed (with `down`). */
  readonly reason?: FailureReason | undefined;
}

export class SharedHealth {
  /** Upstreams known down across the cluster (reported or applied). */
  private readonly down = new Set<Upstream>();

  constructor(
    upstreams: readonly Upstream[],
    private readonly decidesRecovery: boolean,
    private readonly publish: (upstream: Upstream, state: HealthState) => void,
  ) {
    for (const upstream of upstreams) {
      upstream.onBreakerChange = (state) => this.onLocalChange(upstream, state);
    }
  }

  isDown(upstream: Upstream): boolean {
    return this.down.has(upstream);
  }

  private onLocalChange(upstream: Upstream, state: BreakerState): void {
    if (upstream.applyingShared) return;
    if (state === 'open') {
      // Re-entrant (we are inside the breaker's transition): it is open already, so this only
      // keeps it from half-opening on this process's clock.
      if (!this.decidesRecovery) upstream.breaker.forceOpen(true);
      if (this.down.has(upstream)) return;
      this.down.add(upstream);
      this.publish(upstream, { down: true, reason: upstream.lastFailure });
    } else if (state === 'closed' && this.down.delete(upstream)) {
      this.publish(upstream, { down: false });
    }
  }

  /** Applies another worker's report, without reporting it again. */
  apply(upstream: Upstream, state: HealthState): void {
    upstream.applyingShared = true;
    try {
      if (state.down) {
        this.down.add(upstream);
        if (state.reason !== undefined) upstream.lastFailure = state.reason;
        // Open already on its own evidence: its recovery clock keeps running.
        if (!this.decidesRecovery || upstream.breaker.state !== 'open')
          upstream.breaker.forceOpen(!this.decidesRecovery);
      } else {
        this.down.delete(upstream);
        upstream.breaker.forceClose();
      }
    } finally {
      upstream.applyingShared = false;
    }
  }
}
