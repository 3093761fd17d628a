/**
 * The feed's memory of recent blocks, for resuming subscribers: the canonical blocks delivered
 * (a contiguous run linked by parent hash) and the blocks orphaned since, bounded in blocks and
 * in bytes. A resume point is answered from here: the orphaned blocks to undo down to the fork,
 * then the canonical blocks above it.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { BlockPoint, FeedBlock } from './feed-block.js';

export interface FeedHistoryOptions {
  /** Canonical blocks kept. @default 256 */
  blocks: number;
  /** JSON bytes kept, canonical and orphaned together (at least the newest block stays). @default 64 MiB */
  bytes: number;
}

/** What a subscriber resuming from a point missed. */
export interface ResumePlan {
  /** Blocks it received that were orphaned since, lowest first: their logs go out `removed: true`. */
  readonly removed: readonly FeedBlock[];
  /** Canonical blocks above the fork, lowest first. */
  readonly added: readonly FeedBlock[];
}

export class FeedHistory {
  private canonical: FeedBlock[] = [];
  /** Orphaned blocks, oldest orphaning first (evicted in that order). */
  private orphans: FeedBlock[] = [];
  private readonly byHash = new Map<string, FeedBlock>();
  private heldBytes = 0;

  constructor(private readonly options: FeedHistoryOptions) {}

  get tip(): FeedBlock | undefined {
    return this.canonical.at(-1);
  }

  /** Lowest canonical height held; -1 when empty. */
  get low(): number {
    return this.canonical[0]?.number ?? -1;
  }

  get size(): number {
    return this.canonical.length;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  isCanonical(hash: string): boolean {
    const block = this.byHash.get(hash);
    return block !== undefined && !block.orphaned;
  }

  canonicalAt(number: number): FeedBlock | undefined {
    const low = this.low;
    return low < 0 ? undefined : this.canonical[number - low];
  }

  /** Appends the new tip; it must link to the current one (or the history must be empty). */
  append(block: FeedBlock): void {
    const tip = this.tip;
    if (tip !== undefined && (block.parentHash !== tip.hash || block.number !== tip.number + 1))
      throw new Error(`feed history: block ${block.number} ${block.hash} does not link to ${tip.hash}`);
    this.canonical.push(block);
    this.byHash.set(block.hash, block);
    this.heldBytes += block.bytes;
    this.evict();
  }

  /** Marks every canonical block above `number` orphaned; returns them lowest first. */
  orphanAbove(number: number): FeedBlock[] {
    const keep = Math.max(0, number - this.low + 1);
    const gone = this.low < 0 ? [] : this.canonical.slice(keep);
    if (gone.length === 0) return gone;
    this.canonical = this.canonical.slice(0, keep);
    for (const block of gone) {
      block.orphaned = true;
      this.orphans.push(block);
    }
    return gone;
  }

  /** Canonical blocks above `number`, lowest first. */
  after(number: number): FeedBlock[] {
    const low = this.low;
    if (low < 0) return [];
    return this.canonical.slice(Math.max(0, number - low + 1));
  }

  /** Forgets everything (a gap the feed could not fill). */
  clear(): void {
    this.canonical = [];
    this.orphans = [];
    this.byHash.clear();
    this.heldBytes = 0;
  }

  /**
   * What a subscriber whose last block was `point` missed, or the error to answer: a block
   * outside the window (`ERR_REALTIME_RESUME_OUT_OF_WINDOW`) or one this feed never saw
   * (`ERR_REALTIME_RESUME_UNKNOWN_BLOCK`).
   */
  plan(point: BlockPoint): ResumePlan | GatewayError {
    const hash = point.hash.toLowerCase();
    let block = this.byHash.get(hash);
    if (block === undefined || block.number !== point.number) {
      const tip = this.tip;
      if (tip === undefined || point.number < this.low) return this.outOfWindow(point);
      return new GatewayError(
        'ERR_REALTIME_RESUME_UNKNOWN_BLOCK',
        `block ${point.number} ${hash} is not one this gateway delivered (its head is ${tip.number})`,
        { data: { head: tip.number, low: this.low } },
      );
    }
    const removed: FeedBlock[] = [];
    while (block.orphaned) {
      removed.push(block);
      const parent: FeedBlock | undefined = this.byHash.get(block.parentHash);
      if (parent === undefined) return this.outOfWindow(point);
      block = parent;
    }
    return { removed: removed.reverse(), added: this.after(block.number) };
  }

  private outOfWindow(point: BlockPoint): GatewayError {
    return new GatewayError(
      'ERR_REALTIME_RESUME_OUT_OF_WINDOW',
      `cannot resume from block ${point.number}: the gateway keeps blocks ${this.low} to ${this.tip?.number ?? -1}; subscribe without a resume point and re-read the missed range`,
      { data: { low: this.low, head: this.tip?.number ?? -1 } },
    );
  }

  private evict(): void {
    const { blocks, bytes } = this.options;
    while (this.orphans.length > 0 && (this.heldBytes > bytes || this.orphans[0]!.number < this.low))
      this.drop(this.orphans.shift()!);
    while (this.canonical.length > blocks || (this.heldBytes > bytes && this.canonical.length > 1))
      this.drop(this.canonical.shift()!);
    while (this.orphans.length > 0 && this.orphans[0]!.number < this.low) this.drop(this.orphans.shift()!);
  }

  private drop(block: FeedBlock): void {
    this.byHash.delete(block.hash);
    this.heldBytes -= block.bytes;
  }
}
