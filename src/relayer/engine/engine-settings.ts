/** The engine's knobs, taken from the `relayer` config section (see docs/configuration.md). */
import type { RelayerConfig } from '../../config/schema.js';

export interface EngineSettings {
  readonly maxBatchSize: number;
  /** `relayer.batchFillMs`: how long a partial batch waits to fill. */
  readonly batchFillMs: number;
  readonly maxInFlightPerKey: number;
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly reconcileMs: number;
  readonly stuckAfterMs: number;
  /** `relayer.confirmations`: blocks (its own included) before a mined transaction settles. */
  readonly confirmations: number;
  readonly feeBumpPercent: number;
  /** How long a key rests after two pre-flight checks in a row said it cannot pay (balance, allowance). */
  readonly holdMs: number;
  /** `relayer.unfundedTimeoutMs`: a transfer no key could pay for this long fails. */
  readonly unfundedTimeoutMs: number;
  /** A nonce the chain moved past with no receipt for any of our attempts is dropped only after it was seen so for this long (a lagging node may not have the receipt yet). */
  readonly dropAfterMs: number;
  /** Rebroadcasts a node refused before the nonce is filled with a no-op. */
  readonly noopAfterRejections: number;
  /** Most keys one process leases (Infinity: every free key). */
  readonly maxKeys: number;
}

export function engineSettings(config: RelayerConfig, batchCap: number): EngineSettings {
  return {
    maxBatchSize: Math.max(1, Math.min(config.maxBatchSize, batchCap)),
    batchFillMs: config.batchFillMs,
    maxInFlightPerKey: config.maxInFlightPerKey,
    pollMs: config.pollMs,
    leaseMs: config.leaseMs,
    reconcileMs: config.reconcileMs,
    stuckAfterMs: config.stuckAfterMs,
    confirmations: config.confirmations,
    feeBumpPercent: config.feeBumpPercent,
    holdMs: 5_000,
    unfundedTimeoutMs: config.unfundedTimeoutMs,
    dropAfterMs: Math.max(5_000, 4 * config.pollMs),
    noopAfterRejections: 3,
    maxKeys: config.maxKeys ?? Number.POSITIVE_INFINITY,
  };
}
