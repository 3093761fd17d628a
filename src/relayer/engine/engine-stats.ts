/**
 * Plain counters the engine bumps; relayer/relayer-engine-metrics.ts reads them at scrape time, so
 * the engine's loops never touch prom-client.
 */
import type { SettledTransfers } from '../relayer-store.js';

export type ReconcilerAction =
  | 'resubmitted'
  | 'confirmed'
  | 'failed'
  | 'dropped'
  | 'noop'
  | 'fee_bump'
  | 'nonce_synced';

export class EngineStats {
  confirmed = 0;
  failed = 0;
  batchesSent = 0;
  transfersSent = 0;
  bisections = 0;
  preflightHolds = 0;
  nonceGaps = 0;
  readonly reconcilerActions: Record<ReconcilerAction, number> = {
    resubmitted: 0,
    confirmed: 0,
    failed: 0,
    dropped: 0,
    noop: 0,
    fee_bump: 0,
    nonce_synced: 0,
  };
  /** Batch sizes and confirmation latencies (seconds) since the last scrape. */
  batchSizes: number[] = [];
  confirmationSeconds: number[] = [];
  /** Transactions signed and not yet settled, per key address. */
  readonly inFlight = new Map<string, number>();
  /** The nonce each key signs at next, per key address. */
  readonly nextNonce = new Map<string, number>();
  /** Failed transfers by the failure's code; the codes the engine sets start at 0 (a series each). */
  readonly failedByReason = new Map<string, number>([
    ['ERR_RELAYER_PREFLIGHT', 0],
    ['ERR_RELAYER_TRANSFER_REVERTED', 0],
    ['ERR_RELAYER_INSUFFICIENT_FUNDS', 0],
  ]);

  noteConfirmed(createdAt: readonly number[], now: number): void {
    this.confirmed += createdAt.length;
    // Bounded between scrapes: a long gap keeps only the newest samples.
    if (this.confirmationSeconds.length > 100_000) this.confirmationSeconds = [];
    for (const at of createdAt) this.confirmationSeconds.push((now - at) / 1000);
  }

  /** Transfers a settle or a failure moved to a terminal state; `reason`: the failure's code. */
  noteSettled(settled: SettledTransfers, reason: string, now = Date.now()): void {
    this.noteConfirmed(
      settled.confirmed.map((transfer) => transfer.createdAt),
      now,
    );
    this.noteFailed(settled.failed.length, reason);
  }

  noteFailed(count: number, reason: string): void {
    if (count === 0) return;
    this.failed += count;
    this.failedByReason.set(reason, (this.failedByReason.get(reason) ?? 0) + count);
  }

  noteBatch(size: number): void {
    this.batchesSent++;
    this.transfersSent += size;
    if (this.batchSizes.length > 100_000) this.batchSizes = [];
    this.batchSizes.push(size);
  }

  /** Hands the samples gathered since the last call to the scrape, and starts afresh. */
  drainSamples(): { batchSizes: number[]; confirmationSeconds: number[] } {
    const drained = { batchSizes: this.batchSizes, confirmationSeconds: this.confirmationSeconds };
    this.batchSizes = [];
    this.confirmationSeconds = [];
    return drained;
  }
}
