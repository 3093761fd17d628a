/**
 * Follows one network's canonical chain and reports reorgs, so the cache can tag answers with
 * the hashes of blocks that are not final yet and drop exactly those when they are orphaned.
 * Written by hand: no well-kept library follows parent links and names the orphaned hashes.
 *
 * The tracker holds a contiguous window of canonical headers. Each poll reads `latest`, walks
 * back by number until a parent link meets a hash it holds (the fork point), and replaces what
 * lies above it; the replaced hashes are the orphans. State changes only once a poll has read
 * everything it needs, so a failed or contradictory poll leaves the view as it was.
 * It is transport-free: `fetchBlock` is whatever the owner uses to read a header.
 * Watchers (`watch`) are told every step that moved the chain, for the realtime feed; with none,
 * a step does no extra work.
 */
import { ChainTrackerError, type ChainTrackerErrorKind } from './chain-tracker-error.js';
import type { ChainTrackerOptions, ChainTrackerStats, ChainWatcher } from './chain-tracker-options.js';
import type { BlockHeader, ChainAdvance, ChainView, ReorgEvent } from './chain-view.js';
import { readHeader, readHeaderRange } from './header-reads.js';
import { type HeadHint, PollNudge } from './poll-nudge.js';

export type {
  BlockRef,
  ChainTrackerOptions,
  ChainTrackerStats,
  ChainWatcher,
} from './chain-tracker-options.js';

/** Heights fetched in parallel when every one of them is needed (a head that jumped, a new window). */
const CHUNK = 16;

interface Walk {
  /** Canonical headers from the top down, contiguous. */
  fresh: BlockHeader[];
  /** Highest height whose held hash is canonical; undefined when none was met down to the floor. */
  fork: number | undefined;
}

export class ChainTracker implements ChainView {
  private headNumber = -1;
  private finalNumber = -1;
  private headReadAt = -1;
  /** Reads of the head started, and which of them the current head comes from (1, 2, …; 0 before). */
  private readsStarted = 0;
  private headRead = 0;
  private readonly blocks = new Map<number, BlockHeader>();
  private low = 0;
  private readonly window: number;
  private useTag: boolean;
  private readonly now: () => number;
  private readonly counts = {
    polls: 0,
    errors: 0,
    reorgs: 0,
    maxReorgDepth: 0,
    deepReorgs: 0,
    finalityViolations: 0,
    resets: 0,
  };
  private inflight: Promise<void> | undefined;
  private readonly watchers = new Set<ChainWatcher>();
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly nudger: PollNudge;

  constructor(private readonly options: ChainTrackerOptions) {
    this.window = options.window ?? Math.max(256, options.depth + 64);
    if (!Number.isInteger(this.window) || this.window <= options.depth)
      throw new RangeError(`chain tracker window (${this.window}) must be an integer above depth`);
    this.useTag = options.finality === 'tag';
    this.now = options.now ?? Date.now;
    this.nudger = new PollNudge(this, options.nudgeSpacingMs ?? 100);
  }

  get head(): number {
    return this.headNumber;
  }

  /** Never goes back, even when a reorg lowers the head. */
  get finalized(): number {
    return this.finalNumber;
  }

  /** `now()` when the head was last read and followed (for eth_blockNumber staleness); -1 before. */
  get lastHeadAt(): number {
    return this.headReadAt;
  }

  /** Reads of the head started so far (one in flight included). */
  get headReadsStarted(): number {
    return this.readsStarted;
  }

  /** Which read (see `headReadsStarted`) the head was last followed from; 0 before the first. */
  get headReadNumber(): number {
    return this.headRead;
  }

  hashAt(number: number): string | undefined {
    return this.blocks.get(number)?.hash;
  }

  get stats(): ChainTrackerStats {
    return { ...this.counts, nudgedPolls: this.nudger.polls };
  }

  /** Started and not stopped. */
  get running(): boolean {
    return this.active;
  }

  /** A poll is in flight. */
  get polling(): boolean {
    return this.inflight !== undefined;
  }

  /** Watchers now (the realtime feed follows the chain while it has any). */
  get watched(): number {
    return this.watchers.size;
  }

  /**
   * The chain moved (an upstream said so): poll soon rather than at the next tick. Coalesced with
   * the poll in flight, spaced, and ignored for a block already held (poll-nudge.ts). The hint
   * is not trusted: the poll reads the chain as always. False when ignored.
   */
  nudge(hint?: HeadHint): boolean {
    return this.nudger.nudge(hint);
  }

  /** Whether `finalized` comes from the node's tag (false after falling back to depth). */
  get usesFinalizedTag(): boolean {
    return this.useTag;
  }

  /** Calls `watcher` after every step that moves the chain; returns the function that stops it. */
  watch(watcher: ChainWatcher): () => void {
    this.watchers.add(watcher);
    if (this.watchers.size === 1) this.toldWatched(true);
    return () => {
      if (this.watchers.delete(watcher) && this.watchers.size === 0) this.toldWatched(false);
    };
  }

  /** Reads the chain now, then every `pollMs` (an unref'd timer). Resolves after the first read. */
  start(): Promise<void> {
    if (this.active) return this.inflight ?? Promise.resolve();
    this.active = true;
    const first = this.poll();
    void first.then(() => this.schedule());
    return first;
  }

  /** Stops polling; resolves once a poll in flight has finished. */
  stop(): Promise<void> {
    this.active = false;
    this.nudger.stop();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return this.inflight ?? Promise.resolve();
  }

  /** One step; joins the step in flight rather than running two at once. Never rejects. */
  poll(): Promise<void> {
    this.inflight ??= this.step().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private toldWatched(watched: boolean): void {
    try {
      this.options.onWatched?.(watched);
    } catch (err) {
      this.report('listener-failed', `onWatched threw: ${String(err)}`, false, err);
    }
  }

  private schedule(): void {
    if (!this.active || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().then(() => this.schedule());
    }, this.options.pollMs);
    this.timer.unref();
  }

  private async step(): Promise<void> {
    this.counts.polls++;
    const read = ++this.readsStarted;
    try {
      const [latest, tag] = await Promise.all([
        readHeader(this.options.fetchBlock, this.options.network, 'latest'),
        this.readFinalizedTag(),
      ]);
      if (latest === undefined) {
        this.report('no-head', 'the node answered null for the latest block', true);
        return;
      }
      const finalTarget = Math.min(tag ?? latest.number - this.options.depth, latest.number);
      if (this.headNumber < 0) await this.restart(latest, finalTarget);
      else if (latest.number - this.headNumber > this.window) {
        this.counts.resets++;
        await this.restart(latest, finalTarget);
      } else await this.follow(latest);
      this.headReadAt = this.now();
      this.headRead = read;
      this.advanceFinalized(tag);
    } catch (err) {
      if (err instanceof ChainTrackerError) this.emitError(err, true);
      else this.report('fetch-failed', `reading the chain failed: ${String(err)}`, true, err);
    }
  }

  /** A new window from `latest` down to one block below the newest final one; no reorg event. */
  private async restart(latest: BlockHeader, finalTarget: number): Promise<void> {
    const floor = Math.max(0, latest.number - this.window + 1, finalTarget - 1);
    const { fresh } = await this.walkBack(latest, new Map(), floor, floor);
    this.blocks.clear();
    for (const block of fresh) this.blocks.set(block.number, block);
    this.low = fresh.at(-1)!.number;
    this.headNumber = fresh[0]!.number;
    if (this.watchers.size > 0) this.tell(this.low, fresh.reverse(), fresh.at(-1)!, [], true);
  }

  private async follow(latest: BlockHeader): Promise<void> {
    const held = this.blocks.get(latest.number);
    // Nothing new, or a read from a node behind us: keep the higher view.
    if (latest.number <= this.headNumber && (held === undefined || held.hash === latest.hash)) return;

    const oldHead = this.headNumber;
    const walk = await this.walkBack(latest, this.blocks, this.low, oldHead + 1);
    const base = walk.fork ?? this.low - 1;
    const next = walk.fresh.reverse();
    let tip = next.at(-1) ?? this.blocks.get(base)!;
    let linked = true;
    const orphaned: string[] = [];
    const above = new Map<number, BlockHeader | undefined>();
    for (let height = base + 1; height <= oldHead; height++) {
      const old = this.blocks.get(height)!;
      let current: BlockHeader | undefined;
      if (height <= tip.number) current = next[height - base - 1];
      else {
        // Above the new head: confirm each held block is gone before calling it orphaned.
        if (!above.has(height))
          await readHeaderRange(
            this.options.fetchBlock,
            this.options.network,
            above,
            height,
            Math.min(oldHead, height + CHUNK - 1),
          );
        current = above.get(height);
        if (linked && current !== undefined && current.parentHash === tip.hash && current.hash !== old.hash) {
          next.push(current);
          tip = current;
        } else linked = false;
      }
      if (current?.hash === old.hash)
        throw this.inconsistent(`block ${height} ${old.hash} looked replaced, then canonical again`);
      orphaned.push(old.hash);
    }

    for (let height = base + 1; height <= oldHead; height++) this.blocks.delete(height);
    for (const block of next) this.blocks.set(block.number, block);
    this.headNumber = tip.number;
    const low = this.headNumber - this.window + 1;
    for (; this.low < low; this.low++) this.blocks.delete(this.low);
    if (orphaned.length > 0) this.announce(base + 1, orphaned, walk.fork === undefined);
    if (this.watchers.size > 0 && (next.length > 0 || orphaned.length > 0))
      this.tell(base + 1, next, tip, orphaned, false);
  }

  private tell(
    fromNumber: number,
    blocks: readonly BlockHeader[],
    head: BlockHeader,
    orphaned: readonly string[],
    reset: boolean,
  ): void {
    const advance: ChainAdvance = {
      network: this.options.network,
      fromNumber,
      blocks,
      head,
      orphaned,
      reset,
    };
    for (const watcher of this.watchers) {
      try {
        watcher(advance);
      } catch (err) {
        this.report('listener-failed', `a chain watcher threw: ${String(err)}`, false, err);
      }
    }
  }

  /**
   * Walks down from `top` by number until a parent link meets a hash in `held` or the height
   * drops below `floor`. Heights from `eager` up are fetched in parallel chunks (all are needed).
   */
  private async walkBack(
    top: BlockHeader,
    held: ReadonlyMap<number, BlockHeader>,
    floor: number,
    eager: number,
  ): Promise<Walk> {
    const fetched = new Map<number, BlockHeader | undefined>();
    let fresh = [top];
    let current = top;
    for (;;) {
      const below = current.number - 1;
      if (below < floor) return { fresh, fork: undefined };
      const mine = held.get(below);
      if (mine?.hash === current.parentHash) return { fresh, fork: below };
      if (!fetched.has(below)) {
        const from = below >= eager ? Math.max(floor, eager, below - CHUNK + 1) : below;
        await readHeaderRange(this.options.fetchBlock, this.options.network, fetched, from, below);
      }
      const parent = fetched.get(below);
      if (parent === undefined) throw this.inconsistent(`block ${below} is missing below ${top.number}`);
      if (parent.hash !== current.parentHash) {
        // The chain moved while we walked: what we read above `below` may be stale, so the
        // newer view wins and the next poll catches up from it.
        fresh = [];
        if (mine?.hash === parent.hash) return { fresh, fork: below };
      }
      fresh.push(parent);
      current = parent;
    }
  }

  private announce(fromNumber: number, orphaned: string[], deep: boolean): void {
    const depth = orphaned.length;
    this.counts.reorgs++;
    this.counts.maxReorgDepth = Math.max(this.counts.maxReorgDepth, depth);
    if (deep) {
      this.counts.deepReorgs++;
      this.report('deep-reorg', `reorg reaches below height ${fromNumber}, the oldest held`, false);
    }
    if (fromNumber <= this.finalNumber) {
      this.counts.finalityViolations++;
      this.report(
        'final-reorg',
        `reorg from height ${fromNumber} replaced blocks at or below finalized ${this.finalNumber}`,
        false,
      );
    }
    const event: ReorgEvent = { network: this.options.network, fromNumber, depth, orphaned };
    try {
      this.options.onReorg(event);
    } catch (err) {
      this.report('listener-failed', `onReorg threw: ${String(err)}`, false, err);
    }
  }

  private advanceFinalized(tag: number | undefined): void {
    const target = Math.min(tag ?? this.headNumber - this.options.depth, this.headNumber);
    if (target > this.finalNumber) this.finalNumber = target;
  }

  private async readFinalizedTag(): Promise<number | undefined> {
    if (!this.useTag) return undefined;
    let cause: unknown;
    try {
      const block = await this.options.fetchBlock('finalized');
      if (block !== undefined) return block.number;
    } catch (err) {
      cause = err;
    }
    this.useTag = false;
    const why = cause === undefined ? 'answered null' : `failed (${String(cause)})`;
    this.report('no-finalized-tag', `the finalized tag ${why}: using depth finality`, false, cause);
    return undefined;
  }

  private inconsistent(message: string): ChainTrackerError {
    return new ChainTrackerError('inconsistent', this.options.network, message);
  }

  private report(kind: ChainTrackerErrorKind, message: string, failed: boolean, cause?: unknown): void {
    this.emitError(new ChainTrackerError(kind, this.options.network, message, cause), failed);
  }

  private emitError(err: ChainTrackerError, failed: boolean): void {
    if (failed) this.counts.errors++;
    try {
      this.options.onError?.(err);
    } catch {
      // A failing error hook must not stop the poll loop; the counters still tell.
    }
  }
}
