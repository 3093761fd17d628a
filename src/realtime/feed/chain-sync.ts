/**
 * Turns the chain tracker's steps into a gap-free, ordered sequence of loaded blocks for the
 * feed. The tracker says where the head is; this finds how the new head links to the last
 * block the feed delivered — walking parent hashes down from the head (prefetching by number,
 * then reading by hash what the by-number read did not give) until it meets a block the feed
 * holds as canonical — then orphans what lies above that fork and loads the new branch's logs,
 * committing blocks lowest first. It never depends on one upstream's view, never skips a block
 * whose logs fail to load (it retries; later blocks wait), and a step that failed leaves the
 * history as it was up to the last committed block.
 */
import type { BlockHeader, ChainAdvance } from '../../cache/chain-view.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { type BlockLoader, LoadAbandoned, type LoadedHeader } from './block-loader.js';
import { type FeedBlock, feedBlock, headerOf } from './feed-block.js';
import type { FeedHistory } from './feed-history.js';

/** The canonical chain as the gateway sees it (the network's chain tracker). */
export interface FeedChain {
  /** Starts following; `watcher` gets every step that moved the chain. Returns the stop function. */
  follow(watcher: (advance: ChainAdvance) => void): () => void;
  /** The tracker's canonical hash at `number`, when it holds that height. */
  hashAt(number: number): string | undefined;
  /** The tracker's head when it has read one: where the feed starts (its first block). */
  head?(): number | undefined;
}

export interface ChainSyncHooks {
  /** Blocks that left the canonical chain, lowest first, already marked orphaned in the history. */
  orphaned(blocks: readonly FeedBlock[]): void;
  /**
   * A new canonical block, already appended to the history. `seenAt` (performance.now()) is when
   * the tracker's step that led to it arrived (the earliest, when steps came while busy).
   */
  added(block: FeedBlock, seenAt: number): void;
  /** The new head is further than `maxBackfill` blocks from the last delivered: continuity is lost. */
  gap(error: GatewayError): void;
  /** A step failed (it is retried); for logs and metrics. */
  failed(err: unknown): void;
}

export interface ChainSyncOptions {
  chain: FeedChain;
  loader: BlockLoader;
  history: FeedHistory;
  hooks: ChainSyncHooks;
  /** Blocks fetched to link a new head to the last delivered one before giving up. */
  maxBackfill: number;
  /** Pause after a failed step. */
  retryMs: number;
}

export interface ChainSyncStats {
  /** Headers read beyond those of the tracker's steps (gaps, skipped heights). */
  backfilled: number;
  /** `eth_getLogs` calls that succeeded (one per committed block). */
  logReads: number;
  reorgs: number;
  gaps: number;
  failedSteps: number;
}

/** Reads made in parallel: headers of a gap, logs of a branch. */
const CHUNK = 16;
/** Hash hints from the tracker kept at most (heights above the history's window). */
const MAX_HINTS = 4096;

export class ChainSync {
  private target: BlockHeader | undefined;
  /** When the first step not yet taken up by `run` arrived. */
  private targetSince: number | undefined;
  private readonly hints = new Map<number, string>();
  private running = false;
  private unfollow: (() => void) | undefined;
  private syncing: Promise<void> | undefined;
  /** The head height when the feed started: its first block, even if the first step reports a later head. */
  private startHeight: number | undefined;
  readonly stats: ChainSyncStats = { backfilled: 0, logReads: 0, reorgs: 0, gaps: 0, failedSteps: 0 };

  constructor(private readonly options: ChainSyncOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startHeight = this.options.chain.head?.();
    this.unfollow = this.options.chain.follow(this.onAdvance);
  }

  /** Stops following; resolves once a step in flight has given up or finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.unfollow?.();
    this.unfollow = undefined;
    await this.syncing;
  }

  /** Resolves when every head seen so far has been committed (tests, drain). */
  async settled(): Promise<void> {
    while (this.syncing !== undefined) await this.syncing;
  }

  private readonly onAdvance = (advance: ChainAdvance): void => {
    if (advance.reset) this.hints.clear();
    for (const block of advance.blocks) this.hints.set(block.number, block.hash);
    if (this.hints.size > MAX_HINTS) this.hints.clear();
    this.target = advance.head;
    this.targetSince ??= performance.now();
    this.kick();
  };

  private kick(): void {
    if (this.running && this.syncing === undefined && this.target !== undefined) this.syncing = this.run();
  }

  private async run(): Promise<void> {
    try {
      while (this.running && this.target !== undefined) {
        const target = this.target;
        const since = this.targetSince ?? performance.now();
        this.target = undefined;
        this.targetSince = undefined;
        try {
          await this.sync(target, since);
        } catch (err) {
          if (err instanceof LoadAbandoned) continue;
          this.stats.failedSteps++;
          this.options.hooks.failed(err);
          this.target ??= target;
          this.targetSince = Math.min(since, this.targetSince ?? since);
          await new Promise((resolve) => setTimeout(resolve, this.options.retryMs));
        }
      }
    } finally {
      this.syncing = undefined;
    }
  }

  /** Whether the tracker still has `block` canonical (or no longer holds that height). */
  private wanted(block: { number: number; hash: string }): boolean {
    if (!this.running) return false;
    const hash = this.options.chain.hashAt(block.number);
    return hash === undefined || hash === block.hash;
  }

  private async sync(target: BlockHeader, since: number): Promise<void> {
    const { history, loader } = this.options;
    if (history.isCanonical(target.hash)) return;
    const keepTarget = () => this.wanted(target);
    const tip = history.tip;
    if (tip === undefined) {
      await this.commit(undefined, await this.firstBranch(target, keepTarget), since);
      return;
    }
    const branch: LoadedHeader[] = [];
    const fetched = new Map<string, LoadedHeader>();
    let hash = target.hash;
    let number = target.number;
    let deep = false;
    while (!history.isCanonical(hash)) {
      if (number < history.low) {
        deep = true;
        break;
      }
      if (branch.length >= this.options.maxBackfill) {
        this.loseContinuity(tip, target);
        await this.commit(undefined, [await loader.byHash(target.hash, keepTarget)], since);
        return;
      }
      let header = fetched.get(hash);
      if (header === undefined) {
        if (number > tip.number) await this.prefetch(fetched, number, tip.number);
        header = fetched.get(hash);
        if (header === undefined) {
          header = await loader.byHash(hash, keepTarget);
          if (this.hints.get(number) !== hash) this.stats.backfilled++;
        }
      }
      branch.push(header);
      hash = header.parentHash;
      number = header.number - 1;
    }
    branch.reverse();
    await this.commit(deep ? history.low - 1 : number, branch, since);
  }

  /**
   * The feed's first blocks: from the height that was the head when it started up to `target`,
   * linked by parent hash. The tracker's first step can report a head several blocks later (it
   * polls); starting there would lose the blocks a first subscriber saw mined after its
   * subscription was answered. Without a start height (the tracker had read nothing yet), or
   * one too far below, only the target.
   */
  private async firstBranch(target: BlockHeader, keep: () => boolean): Promise<LoadedHeader[]> {
    const { loader, maxBackfill } = this.options;
    const from = this.startHeight;
    const branch = [await loader.byHash(target.hash, keep)];
    if (from === undefined || target.number - from >= maxBackfill) return branch;
    while (branch.at(-1)!.number > Math.max(from, 0)) {
      const header = await loader.byHash(branch.at(-1)!.parentHash, keep);
      this.stats.backfilled++;
      branch.push(header);
    }
    return branch.reverse();
  }

  /**
   * Reads heights `top` down to the tip + 1 (at most CHUNK) in parallel: by the tracker's hash
   * when it has one, else by number. Each read is tried once; the walk checks every parent link
   * and reads by hash whatever is missing or did not match.
   */
  private async prefetch(into: Map<string, LoadedHeader>, top: number, tipNumber: number): Promise<void> {
    const { loader } = this.options;
    const reads: Promise<LoadedHeader | undefined>[] = [];
    for (let number = top; number > tipNumber && number > top - CHUNK; number--) {
      const hint = this.hints.get(number);
      if (hint === undefined) {
        this.stats.backfilled++;
        reads.push(loader.tryByNumber(number));
      } else reads.push(loader.byHash(hint, () => false).catch(() => undefined));
    }
    for (const header of await Promise.all(reads)) if (header !== undefined) into.set(header.hash, header);
  }

  /**
   * Loads the logs of `branch` (lowest first) and commits it on top of the block at `fork`
   * (undefined: the history is empty). `since`: when the step that asked for it arrived.
   */
  private async commit(
    fork: number | undefined,
    branch: readonly LoadedHeader[],
    since: number,
  ): Promise<void> {
    const { history, loader, hooks } = this.options;
    let orphanedDone = false;
    for (let i = 0; i < branch.length; i += CHUNK) {
      const chunk = branch.slice(i, i + CHUNK);
      const logs = await Promise.all(chunk.map((header) => loader.logs(header, () => this.wanted(header))));
      if (!this.running) return;
      if (!orphanedDone) {
        orphanedDone = true;
        const gone = fork === undefined ? [] : history.orphanAbove(fork);
        if (gone.length > 0) {
          this.stats.reorgs++;
          hooks.orphaned(gone);
        }
      }
      for (const [j, header] of chunk.entries()) {
        const point = { hash: header.hash, number: header.number };
        const block = feedBlock(headerOf(header.raw), point, logs[j]!);
        this.stats.logReads++;
        history.append(block);
        this.hints.delete(block.number - 1);
        hooks.added(block, since);
      }
    }
  }

  private loseContinuity(tip: FeedBlock, target: BlockHeader): void {
    this.stats.gaps++;
    this.startHeight = undefined;
    this.options.history.clear();
    this.hints.clear();
    this.options.hooks.gap(
      new GatewayError(
        'ERR_REALTIME_FEED_GAP',
        `the head moved from block ${tip.number} to ${target.number}, more than ${this.options.maxBackfill} blocks at once: subscribe again and re-read the missed range`,
        { data: { from: tip.number, to: target.number } },
      ),
    );
  }
}
