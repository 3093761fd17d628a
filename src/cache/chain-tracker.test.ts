import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BlockRef, ChainTracker, type ChainTrackerOptions } from './chain-tracker.js';
import type { ChainTrackerError } from './chain-tracker-error.js';
import type { BlockHeader, ChainAdvance, ReorgEvent } from './chain-view.js';

/** An in-memory chain: `blocks[n]` is the canonical block at height n. */
class FakeChain {
  blocks: BlockHeader[] = [];
  /** What `finalized` answers: a height, null, or a thrown error; undefined = head - 2. */
  finalizedTag: number | null | 'throw' | undefined;
  /** Replaces the answer to `latest` once (a node behind or on a side fork). */
  staleLatest: BlockHeader | undefined;
  fail = false;
  readonly reads: BlockRef[] = [];
  /** Runs before each read, so a test can move the chain in the middle of a walk. */
  beforeRead: ((ref: BlockRef) => void) | undefined;
  private serial = 0;

  constructor(length: number) {
    this.mine(length);
  }

  get head(): BlockHeader {
    return this.blocks.at(-1)!;
  }

  hash(n: number): string {
    return this.blocks[n]!.hash;
  }

  mine(count: number): void {
    for (let i = 0; i < count; i++) {
      const parent = this.blocks.at(-1);
      this.blocks.push({
        number: this.blocks.length,
        hash: `0x${(++this.serial).toString(16).padStart(64, '0')}`,
        parentHash: parent?.hash ?? `0x${'0'.repeat(64)}`,
      });
    }
  }

  /** Drops the top `depth` blocks and mines `replacement` new ones; returns the dropped hashes. */
  reorg(depth: number, replacement = depth): string[] {
    const dropped = this.blocks.splice(this.blocks.length - depth, depth).map((block) => block.hash);
    this.mine(replacement);
    return dropped;
  }

  readonly fetchBlock = async (ref: BlockRef): Promise<BlockHeader | undefined> => {
    this.reads.push(ref);
    this.beforeRead?.(ref);
    await Promise.resolve();
    if (this.fail) throw new Error('connection refused');
    if (ref === 'latest') {
      const stale = this.staleLatest;
      this.staleLatest = undefined;
      return stale ?? this.head;
    }
    if (ref === 'finalized') {
      const tag = this.finalizedTag;
      if (tag === 'throw') throw new Error('invalid block tag');
      if (tag === null) return undefined;
      return this.blocks[tag ?? Math.max(0, this.blocks.length - 3)];
    }
    return this.blocks[ref];
  };

  /** Reads by number since `mark` (walk-back cost). */
  numberReads(mark: number): number {
    return this.reads.slice(mark).filter((ref) => typeof ref === 'number').length;
  }
}

interface Harness {
  chain: FakeChain;
  tracker: ChainTracker;
  reorgs: ReorgEvent[];
  errors: ChainTrackerError[];
}

function setup(length: number, options: Partial<ChainTrackerOptions> = {}): Harness {
  const chain = new FakeChain(length);
  const reorgs: ReorgEvent[] = [];
  const errors: ChainTrackerError[] = [];
  const tracker = new ChainTracker({
    network: 'testnet',
    fetchBlock: chain.fetchBlock,
    finality: 'depth',
    depth: 4,
    pollMs: 1_000,
    window: 32,
    onReorg: (event) => reorgs.push(event),
    onError: (err) => errors.push(err),
    ...options,
  });
  return { chain, tracker, reorgs, errors };
}

/** Every height the tracker holds carries the chain's canonical hash. */
function expectInSync({ chain, tracker }: Harness, from: number): void {
  expect(tracker.head).toBe(chain.head.number);
  for (let n = from; n <= chain.head.number; n++)
    expect(tracker.hashAt(n), `height ${n}`).toBe(chain.hash(n));
}

describe('ChainTracker: following', () => {
  it('starts with a window from the head down to one block below the newest final one', async () => {
    const h = setup(20);
    await h.tracker.poll();
    expect(h.tracker.head).toBe(19);
    expect(h.tracker.finalized).toBe(15);
    expectInSync(h, 14);
    expect(h.tracker.hashAt(13)).toBeUndefined();
    expect(h.tracker.hashAt(20)).toBeUndefined();
    expect(h.errors).toEqual([]);
  });

  it('extends by one block from the parent link alone', async () => {
    const h = setup(20);
    await h.tracker.poll();
    h.chain.mine(1);
    const mark = h.chain.reads.length;
    await h.tracker.poll();
    expect(h.chain.numberReads(mark)).toBe(0);
    expectInSync(h, 14);
    expect(h.tracker.finalized).toBe(16);
    expect(h.reorgs).toEqual([]);
  });

  it('fetches the blocks in between when the head jumps by several', async () => {
    const h = setup(20);
    await h.tracker.poll();
    h.chain.mine(7);
    const mark = h.chain.reads.length;
    await h.tracker.poll();
    expect(h.chain.numberReads(mark)).toBe(6);
    expectInSync(h, 14);
    expect(h.reorgs).toEqual([]);
  });

  it('keeps at most `window` heights', async () => {
    const h = setup(20, { window: 10 });
    await h.tracker.poll();
    for (let i = 0; i < 5; i++) {
      h.chain.mine(3);
      await h.tracker.poll();
    }
    expectInSync(h, 25);
    expect(h.tracker.hashAt(24)).toBeUndefined();
  });

  it('starts a new window without a reorg event when the head jumps further than the window', async () => {
    const h = setup(20, { window: 10 });
    await h.tracker.poll();
    h.chain.mine(11);
    await h.tracker.poll();
    expect(h.tracker.stats.resets).toBe(1);
    expectInSync(h, 25);
    expect(h.tracker.hashAt(19)).toBeUndefined();
    expect(h.reorgs).toEqual([]);
  });

  it('ignores a head read from a node behind it', async () => {
    const h = setup(20);
    await h.tracker.poll();
    h.chain.staleLatest = h.chain.blocks[17];
    await h.tracker.poll();
    expect(h.tracker.head).toBe(19);
    expectInSync(h, 14);
    expect(h.reorgs).toEqual([]);
  });

  it('lowercases hashes (they become cache tags)', async () => {
    const h = setup(3);
    h.chain.blocks[2] = { ...h.chain.blocks[2]!, hash: h.chain.hash(2).replace('0x', '0xAB') };
    await h.tracker.poll();
    expect(h.tracker.hashAt(2)).toBe(h.chain.hash(2).toLowerCase());
  });
});

describe('ChainTracker: reorgs', () => {
  it.each([1, 3])('reports a reorg of depth %i that keeps the height', async (depth) => {
    const h = setup(20);
    await h.tracker.poll();
    const orphaned = h.chain.reorg(depth);
    await h.tracker.poll();
    expect(h.reorgs).toEqual([{ network: 'testnet', fromNumber: 20 - depth, depth, orphaned }]);
    expectInSync(h, 14);
    expect(h.tracker.stats).toMatchObject({ reorgs: 1, maxReorgDepth: depth });
    expect(h.errors).toEqual([]);
  });

  it.each([1, 3])('reports a reorg of depth %i onto a longer chain', async (depth) => {
    const h = setup(20);
    await h.tracker.poll();
    const orphaned = h.chain.reorg(depth, depth + 4);
    await h.tracker.poll();
    expect(h.reorgs).toEqual([{ network: 'testnet', fromNumber: 20 - depth, depth, orphaned }]);
    expectInSync(h, 14);
  });

  it('reports a reorg onto a shorter chain after checking the heights above the new head', async () => {
    const h = setup(20);
    await h.tracker.poll();
    const orphaned = h.chain.reorg(3, 1);
    await h.tracker.poll();
    expect(h.reorgs).toEqual([{ network: 'testnet', fromNumber: 17, depth: 3, orphaned }]);
    expect(h.tracker.head).toBe(17);
    expect(h.tracker.hashAt(18)).toBeUndefined();
    expectInSync(h, 14);
    expect(h.tracker.finalized).toBe(15);
  });

  it('hashAt already answers for the new chain inside onReorg', async () => {
    const h = setup(20);
    const seen: (string | undefined)[] = [];
    h.tracker = new ChainTracker({
      network: 'testnet',
      fetchBlock: h.chain.fetchBlock,
      finality: 'depth',
      depth: 4,
      pollMs: 1_000,
      onReorg: () => seen.push(h.tracker.hashAt(19)),
    });
    await h.tracker.poll();
    h.chain.reorg(2);
    await h.tracker.poll();
    expect(seen).toEqual([h.chain.hash(19)]);
  });

  it('reports a reorg deeper than the window with every held hash, and flags it', async () => {
    const h = setup(20, { window: 8, depth: 2 });
    await h.tracker.poll();
    h.chain.mine(6); // the window now holds 18..25
    await h.tracker.poll();
    const held = h.chain.blocks.slice(18).map((block) => block.hash);
    h.chain.reorg(12);
    await h.tracker.poll();
    expect(h.reorgs).toEqual([{ network: 'testnet', fromNumber: 18, depth: 8, orphaned: held }]);
    expectInSync(h, 18);
    expect(h.errors.map((err) => err.kind)).toEqual(['deep-reorg', 'final-reorg']);
    expect(h.tracker.stats).toMatchObject({ deepReorgs: 1, finalityViolations: 1, errors: 0 });
  });

  it('flags a reorg that replaces a final block, and still reports it', async () => {
    const h = setup(20, { depth: 2 });
    await h.tracker.poll();
    h.chain.mine(10);
    await h.tracker.poll();
    expect(h.tracker.finalized).toBe(27);
    const orphaned = h.chain.reorg(4);
    await h.tracker.poll();
    expect(h.reorgs).toEqual([{ network: 'testnet', fromNumber: 26, depth: 4, orphaned }]);
    expect(h.errors.map((err) => err.kind)).toEqual(['final-reorg']);
    expect(h.tracker.finalized).toBe(27);
  });

  it('finishes with what it saw when the chain moves during the walk, and catches up next poll', async () => {
    const h = setup(20);
    await h.tracker.poll();
    const firstOrphans = h.chain.reorg(2, 3); // 18', 19', 20'
    let moved: string[] = [];
    h.chain.beforeRead = (ref) => {
      if (ref !== 19) return;
      h.chain.beforeRead = undefined;
      moved = h.chain.reorg(3); // 18'', 19'', 20'' while the tracker walks back from 20'
    };
    await h.tracker.poll();
    expect(moved).toHaveLength(3);
    const canonical = new Set(h.chain.blocks.map((block) => block.hash));
    const reported = h.reorgs.flatMap((event) => event.orphaned);
    expect(reported.filter((hash) => canonical.has(hash))).toEqual([]);
    expect(reported).toEqual(firstOrphans);
    expect(h.reorgs[0]).toMatchObject({ fromNumber: 18, depth: 2 });
    for (let n = 14; n <= h.tracker.head; n++) expect(h.tracker.hashAt(n)).toBe(h.chain.hash(n));

    h.chain.mine(1);
    await h.tracker.poll();
    expectInSync(h, 14);
    expect(h.reorgs).toHaveLength(1);
  });

  it('orphans nothing still canonical when `latest` comes from a node on a side fork', async () => {
    const h = setup(20);
    await h.tracker.poll();
    const side = { number: 18, hash: `0x${'e'.repeat(64)}`, parentHash: h.chain.hash(17) };
    h.chain.staleLatest = side;
    await h.tracker.poll();
    expect(h.reorgs).toEqual([]);
    expect(h.errors.map((err) => err.kind)).toEqual(['inconsistent']);
    expectInSync(h, 14);
    expect(h.tracker.stats.errors).toBe(1);
  });

  it('reports a listener that throws and keeps following', async () => {
    const h = setup(20, {
      onReorg: () => {
        throw new Error('boom');
      },
    });
    await h.tracker.poll();
    h.chain.reorg(1);
    await h.tracker.poll();
    expect(h.errors.map((err) => err.kind)).toEqual(['listener-failed']);
    expectInSync(h, 14);
  });
});

describe('ChainTracker: finality', () => {
  it('never lets finalized go back with depth finality', async () => {
    const h = setup(30, { depth: 4 });
    await h.tracker.poll();
    expect(h.tracker.finalized).toBe(25);
    h.chain.reorg(3, 1);
    await h.tracker.poll();
    expect(h.tracker.head).toBe(27);
    expect(h.tracker.finalized).toBe(25);
  });

  it('uses the finalized tag, never above the head and never going back', async () => {
    const h = setup(30, { finality: 'tag' });
    h.chain.finalizedTag = 29;
    h.chain.staleLatest = h.chain.blocks[25];
    await h.tracker.poll();
    expect(h.tracker.head).toBe(25);
    expect(h.tracker.finalized).toBe(25);
    for (const n of [24, 25]) expect(h.tracker.hashAt(n)).toBe(h.chain.hash(n));
    h.chain.finalizedTag = 20;
    await h.tracker.poll();
    expect(h.tracker.head).toBe(29);
    expect(h.tracker.finalized).toBe(25);
    h.chain.finalizedTag = 27;
    await h.tracker.poll();
    expect(h.tracker.finalized).toBe(27);
    expect(h.tracker.usesFinalizedTag).toBe(true);
    expect(h.errors).toEqual([]);
  });

  it.each([
    ['answers null', null],
    ['fails', 'throw'],
  ] as const)('falls back to depth for good when the finalized tag %s', async (_, tag) => {
    const h = setup(30, { finality: 'tag', depth: 6 });
    h.chain.finalizedTag = tag;
    await h.tracker.poll();
    expect(h.tracker.finalized).toBe(23);
    expect(h.tracker.usesFinalizedTag).toBe(false);
    expect(h.errors.map((err) => err.kind)).toEqual(['no-finalized-tag']);
    h.chain.finalizedTag = 28;
    h.chain.mine(2);
    const mark = h.chain.reads.length;
    await h.tracker.poll();
    expect(h.chain.reads.slice(mark)).not.toContain('finalized');
    expect(h.tracker.finalized).toBe(25);
    expect(h.tracker.stats.errors).toBe(0);
  });
});

describe('ChainTracker: polling', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts a failed read, changes nothing, and recovers on the next poll', async () => {
    let clock = 1_000;
    const h = setup(20, { now: () => clock });
    await h.tracker.poll();
    expect(h.tracker.lastHeadAt).toBe(1_000);
    h.chain.reorg(2);
    h.chain.fail = true;
    clock = 2_000;
    await h.tracker.poll();
    expect(h.errors.map((err) => err.kind)).toEqual(['fetch-failed']);
    expect(h.tracker.lastHeadAt).toBe(1_000);
    expect(h.reorgs).toEqual([]);
    h.chain.fail = false;
    clock = 3_000;
    await h.tracker.poll();
    expect(h.reorgs).toHaveLength(1);
    expect(h.tracker.lastHeadAt).toBe(3_000);
    expect(h.tracker.stats).toMatchObject({ polls: 3, errors: 1, reorgs: 1 });
  });

  it('reports a null head as an error', async () => {
    const h = setup(0);
    await h.tracker.poll();
    expect(h.tracker.head).toBe(-1);
    expect(h.tracker.lastHeadAt).toBe(-1);
    expect(h.errors.map((err) => err.kind)).toEqual(['no-head']);
  });

  it('keeps polling when onError throws', async () => {
    const h = setup(20, {
      onError: () => {
        throw new Error('logger down');
      },
    });
    h.chain.fail = true;
    await expect(h.tracker.poll()).resolves.toBeUndefined();
    h.chain.fail = false;
    await h.tracker.poll();
    expect(h.tracker.head).toBe(19);
    expect(h.tracker.stats.errors).toBe(1);
  });

  it('never runs two polls at once', async () => {
    const h = setup(20);
    await Promise.all([h.tracker.poll(), h.tracker.poll(), h.tracker.poll()]);
    expect(h.tracker.stats.polls).toBe(1);
    expect(h.chain.reads.filter((ref) => ref === 'latest')).toHaveLength(1);
  });

  it('polls every pollMs after start() until stop()', async () => {
    vi.useFakeTimers();
    const h = setup(20);
    await h.tracker.start();
    expect(h.tracker.head).toBe(19);
    h.chain.mine(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.tracker.head).toBe(20);
    expect(h.tracker.stats.polls).toBe(2);
    await h.tracker.stop();
    h.chain.mine(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.tracker.stats.polls).toBe(2);
  });

  it('rejects a window not above depth', () => {
    expect(() => setup(1, { depth: 12, window: 12 })).toThrow(RangeError);
  });
});

describe('ChainTracker: watchers', () => {
  it('tells watchers the new window, each extension, and a reorg with the new branch', async () => {
    const h = setup(20);
    const seen: ChainAdvance[] = [];
    const stop = h.tracker.watch((advance) => seen.push(advance));
    await h.tracker.poll();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ fromNumber: 14, reset: true, orphaned: [], head: h.chain.head });
    expect(seen[0]!.blocks.map((block) => block.number)).toEqual([14, 15, 16, 17, 18, 19]);

    h.chain.mine(3);
    await h.tracker.poll();
    expect(seen[1]).toEqual({
      network: 'testnet',
      fromNumber: 20,
      blocks: h.chain.blocks.slice(20, 23),
      head: h.chain.head,
      orphaned: [],
      reset: false,
    });

    await h.tracker.poll(); // nothing new: nobody is told
    expect(seen).toHaveLength(2);

    const orphaned = h.chain.reorg(2, 3);
    await h.tracker.poll();
    expect(seen[2]).toEqual({
      network: 'testnet',
      fromNumber: 21,
      blocks: h.chain.blocks.slice(21, 24),
      head: h.chain.head,
      orphaned,
      reset: false,
    });

    stop();
    h.chain.mine(1);
    await h.tracker.poll();
    expect(seen).toHaveLength(3);
  });

  it('tells a reorg onto a shorter chain with every orphaned hash above the new head', async () => {
    const h = setup(20);
    const seen: ChainAdvance[] = [];
    h.tracker.watch((advance) => seen.push(advance));
    await h.tracker.poll();
    const orphaned = h.chain.reorg(3, 1);
    await h.tracker.poll();
    expect(seen[1]).toEqual({
      network: 'testnet',
      fromNumber: 17,
      blocks: [h.chain.head],
      head: h.chain.head,
      orphaned,
      reset: false,
    });
  });

  it('reports a watcher that throws and tells the others', async () => {
    const h = setup(20);
    const seen: ChainAdvance[] = [];
    h.tracker.watch(() => {
      throw new Error('boom');
    });
    h.tracker.watch((advance) => seen.push(advance));
    await h.tracker.poll();
    expect(seen).toHaveLength(1);
    expect(h.errors.map((err) => err.kind)).toEqual(['listener-failed']);
    expect(h.tracker.head).toBe(19);
  });
});
