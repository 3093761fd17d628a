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

/**
 * How the canonical chain moved in one tracker step: `blocks` (ascending) now sit on top of the
 * block at `fromNumber - 1`, replacing `orphaned`. `reset` marks a new window (the first read, or
 * a head that jumped past the window): then `blocks` do not link to what was reported before.
 */
export interface ChainAdvance {
  readonly network: string;
  readonly fromNumber: number;
  /** Canonical headers from `fromNumber` up to the new head; empty when a reorg only lowered it. */
  readonly blocks: readonly BlockHeader[];
  /** The new head (the last of `blocks`, or the held block the chain fell back to). */
  readonly head: BlockHeader;
  readonly orphaned: readonly string[];
  readonly reset: boolean;
}
