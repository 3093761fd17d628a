/**
 * The feed's decisions on an in-memory chain (the anvil tests in test/realtime-feed.test.ts cover
 * the same paths end to end): heads that skip heights, reads that fail, reorgs, resume, gaps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BlockHeader, ChainAdvance } from '../../cache/chain-view.js';
import type { GatewayError } from '../../errors/gateway-error.js';
import type { FeedNotification } from './feed-block.js';
import type { FeedSubscription } from './feed-subscription.js';
import { SubscriptionFeed } from './subscription-feed.js';

const EMITTER = `0x${'aa'.repeat(20)}`;
const ZERO_BLOOM = `0x${'0'.repeat(512)}`;
const SET_BLOOM = `0x1${'0'.repeat(511)}`;

interface FakeBlock extends BlockHeader {
  logs: number;
}

/** A node: canonical blocks by height, every block ever mined by hash, reads that can fail. */
class FakeNode {
  canonical: FakeBlock[] = [];
  readonly byHash = new Map<string, FakeBlock>();
  readonly calls: string[] = [];
  /** Per method: how many of the next calls fail. */
  readonly failures = new Map<string, number>();
  /** Hashes whose logs come back empty this many times (a node that has not indexed them). */
  readonly unindexed = new Map<string, number>();
  private serial = 0;
  watcher: ((advance: ChainAdvance) => void) | undefined;

  constructor(length: number) {
    this.mine(length);
  }

  get head(): FakeBlock {
    return this.canonical.at(-1)!;
  }

  mine(count: number, logs = 1): void {
    for (let i = 0; i < count; i++) {
      const parent = this.canonical.at(-1);
      const block = {
        number: this.canonical.length,
        hash: `0x${(++this.serial).toString(16).padStart(64, '0')}`,
        parentHash: parent?.hash ?? `0x${'0'.repeat(64)}`,
        logs,
      };
      this.canonical.push(block);
      this.byHash.set(block.hash, block);
    }
  }

  reorg(depth: number, replacement: number): void {
    this.canonical.splice(this.canonical.length - depth, depth);
    this.mine(replacement, 2);
  }

  /** The tracker's step: the new head, with or without the headers in between. */
  tell(from: number, withBlocks = true): void {
    const blocks = withBlocks ? this.canonical.slice(from) : [this.head];
    this.watcher?.({
      network: 'fake',
      fromNumber: from,
      blocks,
      head: this.head,
      orphaned: [],
      reset: false,
    });
  }

  readonly rpc = async (method: string, params: readonly unknown[]): Promise<unknown> => {
    this.calls.push(method);
    await Promise.resolve();
    const failing = this.failures.get(method) ?? 0;
    if (failing > 0) {
      this.failures.set(method, failing - 1);
      throw new Error(`${method} failed`);
    }
    if (method === 'eth_getBlockByHash') return this.json(this.byHash.get(params[0] as string));
    if (method === 'eth_getBlockByNumber')
      return this.json(this.canonical[Number.parseInt(params[0] as string, 16)]);
    const hash = (params[0] as { blockHash: string }).blockHash;
    const block = this.byHash.get(hash)!;
    const empty = this.unindexed.get(hash) ?? 0;
    if (empty > 0) {
      this.unindexed.set(hash, empty - 1);
      return [];
    }
    return Array.from({ length: block.logs }, (_, i) => ({
      address: EMITTER,
      topics: [`0x${i.toString(16).padStart(64, '0')}`],
      blockHash: block.hash,
      blockNumber: `0x${block.number.toString(16)}`,
      logIndex: `0x${i.toString(16)}`,
      removed: false,
    }));
  };

  private json(block: FakeBlock | undefined): unknown {
    if (block === undefined) return null;
    return {
      number: `0x${block.number.toString(16)}`,
      hash: block.hash,
      parentHash: block.parentHash,
      logsBloom: block.logs > 0 ? SET_BLOOM : ZERO_BLOOM,
      transactions: [],
    };
  }
}

const feeds: SubscriptionFeed[] = [];
afterEach(async () => {
  await Promise.all(feeds.splice(0).map((feed) => feed.close()));
});

async function setup(length = 10, maxBackfill = 1024) {
  const node = new FakeNode(length);
  const feed = new SubscriptionFeed({
    network: 'fake',
    chain: {
      follow: (watcher) => {
        node.watcher = watcher;
        return () => {
          node.watcher = undefined;
        };
      },
      hashAt: (number) => node.canonical[number]?.hash,
    },
    rpc: node.rpc,
    retryMs: 1,
    maxBackfill,
  });
  feeds.push(feed);
  feed.start();
  node.tell(length - 1);
  await feed.settled();
  return { node, feed };
}

class Sink {
  readonly notes: FeedNotification[] = [];
  ended: GatewayError | undefined;
  next(note: FeedNotification): boolean {
    this.notes.push(note);
    return true;
  }
  end(reason: GatewayError): void {
    this.ended = reason;
  }
  get numbers(): number[] {
    return this.notes.map((note) => note.block!.number);
  }
  get removed(): boolean[] {
    return this.notes.map((note) => note.result.removed === true);
  }
}

function watch(
  feed: SubscriptionFeed,
  kind: 'newHeads' | 'logs',
  resumeFrom?: { hash: string; number: number },
) {
  const sink = new Sink();
  (feed.subscribe(kind, kind === 'logs' ? {} : undefined, sink, resumeFrom) as FeedSubscription).start();
  return sink;
}

describe('subscription feed on a fake chain', () => {
  it('hands a log to every subscription of a shared filter; one leaving does not end the others', async () => {
    const { node, feed } = await setup();
    const topic1 = { address: EMITTER, topics: [`0x${'1'.padStart(64, '0')}`] };
    const sinks = [new Sink(), new Sink(), new Sink()];
    const subs = sinks.map((sink) => feed.subscribe('logs', topic1, sink) as FeedSubscription);
    for (const sub of subs) sub.start();
    // Same matches written differently (address case): one group.
    const upper = new Sink();
    (
      feed.subscribe(
        'logs',
        { ...topic1, address: EMITTER.toUpperCase().replace('0X', '0x') },
        upper,
      ) as FeedSubscription
    ).start();
    node.mine(1, 3);
    node.tell(10);
    await feed.settled();
    for (const sink of [...sinks, upper]) expect(sink.numbers).toEqual([10]);
    feed.unsubscribe(subs[0]!.id);
    expect(feed.stats.subscriptions.logs).toBe(3);
    node.mine(1, 3);
    node.tell(11);
    await feed.settled();
    expect(sinks.map((sink) => sink.numbers)).toEqual([[10], [10, 11], [10, 11]]);
    expect(upper.numbers).toEqual([10, 11]);
  });

  it('tells onPublished once per new block, with the time since the step that showed it', async () => {
    const node = new FakeNode(3);
    const published: number[] = [];
    const feed = new SubscriptionFeed({
      network: 'fake',
      chain: {
        follow: (watcher) => {
          node.watcher = watcher;
          return () => undefined;
        },
        hashAt: (number) => node.canonical[number]?.hash,
      },
      rpc: node.rpc,
      onPublished: (ms) => published.push(ms),
    });
    feeds.push(feed);
    feed.start();
    node.tell(2);
    await feed.settled();
    node.mine(2);
    node.tell(3);
    await feed.settled();
    expect(published).toHaveLength(3);
    for (const ms of published) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('fills skipped heights by number and delivers them in order', async () => {
    const { node, feed } = await setup();
    const heads = watch(feed, 'newHeads');
    node.mine(7);
    node.tell(10, false); // only the head: the tracker skipped heights
    await feed.settled();
    expect(heads.numbers).toEqual([10, 11, 12, 13, 14, 15, 16]);
    expect(feed.stats.backfilled).toBe(6);
  });

  it('keeps retrying a block whose logs fail; later blocks wait for it', async () => {
    const { node, feed } = await setup();
    const logs = watch(feed, 'logs');
    node.failures.set('eth_getLogs', 5);
    node.mine(3);
    node.tell(10);
    await feed.settled();
    expect(logs.numbers).toEqual([10, 11, 12]);
    expect(node.calls.filter((method) => method === 'eth_getLogs').length).toBe(1 + 3 + 5);
  });

  it('reads again the logs of a block whose bloom is set when a node answers []', async () => {
    const { node, feed } = await setup();
    const logs = watch(feed, 'logs');
    node.mine(1);
    node.unindexed.set(node.head.hash, 2);
    node.tell(10);
    await feed.settled();
    expect(logs.numbers).toEqual([10]);
  });

  it('sends orphaned logs removed once, then the new branch; resume replays the same', async () => {
    const { node, feed } = await setup();
    const logs = watch(feed, 'logs');
    const heads = watch(feed, 'newHeads');
    node.mine(2);
    node.tell(10);
    await feed.settled();
    const point = { hash: node.head.hash, number: node.head.number };
    node.reorg(2, 3);
    node.tell(10);
    await feed.settled();
    expect(heads.numbers).toEqual([10, 11, 10, 11, 12]);
    expect(logs.numbers).toEqual([10, 11, 10, 11, 10, 10, 11, 11, 12, 12]);
    expect(logs.removed).toEqual([false, false, true, true, false, false, false, false, false, false]);
    expect(feed.stats.reorgs).toBe(1);

    const resumed = watch(feed, 'logs', point);
    expect(resumed.numbers).toEqual([10, 11, 10, 10, 11, 11, 12, 12]);
    expect(resumed.removed.slice(0, 2)).toEqual([true, true]);
    expect(resumed.notes[0]!.json).toBe(logs.notes[2]!.json);
  });

  it('ends every subscription with ERR_REALTIME_FEED_GAP past maxBackfill, then follows the new head', async () => {
    const { node, feed } = await setup(10, 8);
    const heads = watch(feed, 'newHeads');
    node.mine(20);
    node.tell(10, false);
    await feed.settled();
    expect(heads.ended?.code).toBe('ERR_REALTIME_FEED_GAP');
    expect(feed.tip?.number).toBe(29);
    const after = watch(feed, 'newHeads');
    node.mine(1);
    node.tell(30);
    await feed.settled();
    expect(after.numbers).toEqual([30]);
  });

  it('replays blocks committed between subscribe and start, once', async () => {
    const { node, feed } = await setup();
    const sink = new Sink();
    const held = feed.subscribe('newHeads', undefined, sink) as FeedSubscription;
    node.mine(2);
    node.tell(10);
    await feed.settled();
    expect(sink.notes).toEqual([]);
    held.start();
    node.mine(1);
    node.tell(12);
    await feed.settled();
    expect(sink.numbers).toEqual([10, 11, 12]);
  });

  it('routes logs by address: each matching subscription gets a log once, removed ones too', async () => {
    const { node, feed } = await setup();
    const other = `0x${'bb'.repeat(20)}`;
    const filters = [{ address: EMITTER }, { address: [other, `0x${'AA'.repeat(20)}`] }, { address: other }];
    const sinks = filters.map(() => new Sink());
    const subscriptions = filters.map(
      (filter, i) => feed.subscribe('logs', filter, sinks[i]!) as FeedSubscription,
    );
    for (const subscription of subscriptions) subscription.start();
    node.mine(1);
    node.tell(10);
    await feed.settled();
    node.reorg(1, 1);
    node.tell(10);
    await feed.settled();
    expect(sinks.map((sink) => sink.removed)).toEqual([
      [false, true, false, false],
      [false, true, false, false],
      [],
    ]);
    expect(feed.stats.subscriptions.logs).toBe(3);
    for (const subscription of subscriptions) expect(feed.unsubscribe(subscription.id)).toBe(true);
    expect(feed.unsubscribe(subscriptions[0]!.id)).toBe(false);
    expect(feed.stats.subscriptions.logs).toBe(0);
    node.mine(1);
    node.tell(11);
    await feed.settled();
    expect(sinks.map((sink) => sink.notes.length)).toEqual([4, 4, 0]);
  });
});
