/** The chain tracker's options, figures and watcher type (chain-tracker.ts). */
import type { ChainTrackerError } from './chain-tracker-error.js';
import type { BlockHeader, ChainAdvance, ReorgEvent } from './chain-view.js';

export type BlockRef = 'latest' | 'finalized' | number;

export interface ChainTrackerOptions {
  /** Network name, copied into reorg events and errors. */
  network: string;
  /** Reads one header (`eth_getBlockByNumber(ref, false)`); undefined when the node answers null. */
  fetchBlock: (ref: BlockRef) => Promise<BlockHeader | undefined>;
  /** `tag`: the node's `finalized` block; `depth`: `depth` blocks below the head. */
  finality: 'tag' | 'depth';
  /** Confirmations for depth finality (also the fallback when the node has no `finalized` tag). */
  depth: number;
  /** Milliseconds between polls after `start()`. */
  pollMs: number;
  /** Heights of canonical hashes kept; must be greater than `depth`. @default max(256, depth + 64) */
  window?: number;
  /** Called after the view has switched to the new chain, so `hashAt` already answers for it. */
  onReorg: (event: ReorgEvent) => void;
  onError?: (err: ChainTrackerError) => void;
  /** Clock for `lastHeadAt`. @default Date.now */
  now?: () => number;
  /** Least time between two polls asked for by `nudge`. @default 100 */
  nudgeSpacingMs?: number;
  /** Told when the number of watchers goes from 0 to 1 (true) and back to 0 (false). */
  onWatched?: (watched: boolean) => void;
}

export interface ChainTrackerStats {
  /** Poll steps run. */
  readonly polls: number;
  /** Polls that failed (fetch error, null head, contradictory reads). */
  readonly errors: number;
  readonly reorgs: number;
  readonly maxReorgDepth: number;
  /** Reorgs whose fork point was below the window. */
  readonly deepReorgs: number;
  /** Reorgs that replaced a block at or below `finalized`. */
  readonly finalityViolations: number;
  /** Head jumps larger than the window, answered by starting a new window. */
  readonly resets: number;
  /** Polls run early because `nudge` said the chain moved. */
  readonly nudgedPolls: number;
}

/** Told about every step that moved the canonical chain, after the view switched to it. */
export type ChainWatcher = (advance: ChainAdvance) => void;
