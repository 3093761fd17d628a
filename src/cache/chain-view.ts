/**
 * What the cache policy needs to know about a network's chain right now: the head, the newest
 * final block, and the canonical hash at recent heights (to tag entries that depend on blocks
 * that are not final yet). Kept up to date by the chain tracker.
 */
export interface ChainView {
  /** Highest canonical block number seen; -1 when unknown. */
  readonly head: number;
  /** Newest block that can no longer be reorganised away; -1 when unknown. */
  readonly finalized: number;
  /** Canonical hash at `number` if the tracker still holds it (recent blocks only). */
  hashAt(number: number): string | undefined;
}

/** A block header as the tracker reads it. */
export interface BlockHeader {
  readonly number: number;
  readonly hash: string;
  readonly parentHash: string;
}

/** A reorg the tracker saw: the canonical chain from `fromNumber` on was replaced. */
export interface ReorgEvent {
  readonly network: string;
  /** Lowest height whose block changed. */
  readonly fromNumber: number;
  /** Blocks replaced. */
  readonly depth: number;
  /** Hashes that are no longer canonical. */
  readonly orphaned: readonly string[];
}
