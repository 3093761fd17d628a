/**
 * The subscription feed against real anvil nodes, through a real network pipeline (fault
 * proxies in front of anvil): every canonical block delivered once and in order, logs matched
 * in-process from one eth_getLogs per block, reorgs re-sent as `removed: true` once before the
 * new branch, resume across blocks and a reorg, the resume window, and upstreams that die or fail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCacheStore } from '../src/cache/memory-store.js';
import { networkSchema } from '../src/config/schema.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { GatewayError } from '../src/errors/gateway-error.js';
import { Network } from '../src/network/network.js';
import type { BlockPoint, FeedNotification } from '../src/realtime/feed/feed-block.js';
import type { FeedSubscription } from '../src/realtime/feed/feed-subscription.js';
import { SubscriptionFeed, type SubscriptionFeedOptions } from '../src/realtime/feed/subscription-feed.js';
import { type Fault, type FaultProxy, startFaultProxy } from './support/fault-proxy.js';

const ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
/** Runtime code: LOG2 with topic0 = calldata[0..32], topic1 = calldata[32..64], no data. */
const EMITTER_CODE = '0x60203560003560006000a200';
const A = `0x${'a1'.repeat(20)}`;
const B = `0x${'b2'.repeat(20)}`;
const T1 = `0x${'01'.repeat(32)}`;
const T2 = `0x${'02'.repeat(32)}`;
const T3 = `0x${'03'.repeat(32)}`;
const silent = { warn() {}, info() {} };

async function call(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

function emitTx(emitter: string, topic0: string, topic1: string) {
  return { from: ACCOUNT_0, to: emitter, data: `${topic0}${topic1.slice(2)}`, gas: '0x186a0' };
}

/** One transaction emitting LOG2(topic0, topic1) from `emitter`, mined in a block of its own. */
async function emit(url: string, emitter: string, topic0: string, topic1: string): Promise<void> {
  const hash = await call(url, 'eth_sendTransaction', [emitTx(emitter, topic0, topic1)]);
  const deadline = Date.now() + 5_000;
  while ((await call(url, 'eth_getTransactionReceipt', [hash])) === null) {
    if (Date.now() > deadline) throw new Error('not mined');
    await sleep(5);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
}

async function blockAt(url: string, number: number | 'latest'): Promise<RawBlock> {
  const tag = number === 'latest' ? number : `0x${number.toString(16)}`;
  return (await call(url, 'eth_getBlockByNumber', [tag, false])) as RawBlock;
}

async function headNumber(url: string): Promise<number> {
  return Number.parseInt((await blockAt(url, 'latest')).number, 16);
}

interface Log {
  address: string;
  topics: string[];
  blockHash: string;
  blockNumber: string;
  logIndex: string;
  transactionHash: string;
  removed?: boolean;
}

/** What a test compares: the identity of a log and whether it was removed. */
const logKey = (log: Log) =>
  `${log.blockNumber}:${log.blockHash}:${log.logIndex}:${log.topics.join(',')}:${log.removed === true ? 'removed' : 'added'}`;

class Collector {
  readonly notes: FeedNotification[] = [];
  subscription: FeedSubscription | undefined;
  ended: GatewayError | undefined;
  next(note: FeedNotification): boolean {
    this.notes.push(note);
    return true;
  }
  end(reason: GatewayError): void {
    this.ended = reason;
  }
  get heads(): RawBlock[] {
    return this.notes.map((note) => note.result as unknown as RawBlock);
  }
  get logs(): Log[] {
    return this.notes.map((note) => note.result as unknown as Log);
  }
}

interface Harness {
  node: AnvilNode;
  proxies: FaultProxy[];
  network: Network;
  feed: SubscriptionFeed;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(upstreams = 1, feedOptions: Partial<SubscriptionFeedOptions> = {}): Promise<Harness> {
  const node = await startAnvil();
  cleanups.push(() => node.stop());
  await call(node.url, 'anvil_setCode', [A, EMITTER_CODE]);
  await call(node.url, 'anvil_setCode', [B, EMITTER_CODE]);
  const proxies: FaultProxy[] = [];
  for (let i = 0; i < upstreams; i++) {
    const proxy = await startFaultProxy(node.url);
    proxies.push(proxy);
    cleanups.push(() => proxy.close());
  }
  const config = networkSchema.parse({
    chainId: 31337,
    upstreams: proxies.map((proxy, index) => ({ id: `p${index}`, url: proxy.url })),
    failsafe: {
      attemptTimeoutMs: 1000,
      deadlineMs: 5000,
      breaker: { minRequests: 100, consecutiveFailures: 100 },
    },
    cache: { finality: 'depth', depth: 5, headPollMs: 40 },
  });
  const store = new MemoryCacheStore({ memoryBytes: 16 * 1024 * 1024, maxEntryBytes: 1024 * 1024 });
  const network = new Network('anvil', config, silent, undefined, { store });
  cleanups.push(() => network.close());
  const feed = new SubscriptionFeed({
    network: 'anvil',
    chain: { follow: (watcher) => network.followChain(watcher)!, hashAt: (n) => network.tracker!.hashAt(n) },
    rpc: (method, params) => network.call(method, params),
    retryMs: 20,
    ...feedOptions,
  });
  cleanups.push(() => feed.close());
  feed.start();
  await waitFor('the first block', () => feed.tip !== undefined);
  return { node, proxies, network, feed };
}

function subscribe(
  feed: SubscriptionFeed,
  kind: string,
  params?: unknown,
  resumeFrom?: BlockPoint,
): Collector {
  const sink = new Collector();
  const subscription = feed.subscribe(kind, params, sink, resumeFrom);
  if (subscription instanceof GatewayError) throw subscription;
  sink.subscription = subscription;
  subscription.start();
  return sink;
}

/** The feed has delivered the node's current head. */
async function caughtUp(h: Harness): Promise<void> {
  const head = await blockAt(h.node.url, 'latest');
  await waitFor(
    `the feed at block ${Number.parseInt(head.number, 16)}`,
    () => h.feed.tip?.hash === head.hash,
  );
}

/** Heads are contiguous, linked by parent hash, and are the node's canonical blocks. */
async function expectCanonicalHeads(url: string, heads: RawBlock[], from: number, to: number): Promise<void> {
  expect(heads.map((head) => Number.parseInt(head.number, 16))).toEqual(
    Array.from({ length: to - from + 1 }, (_, i) => from + i),
  );
  for (let i = 1; i < heads.length; i++) expect(heads[i]!.parentHash).toBe(heads[i - 1]!.hash);
  const canonical = await Promise.all(heads.map((head) => blockAt(url, Number.parseInt(head.number, 16))));
  expect(heads.map((head) => head.hash)).toEqual(canonical.map((block) => block.hash));
}

async function nodeLogs(
  url: string,
  filter: Record<string, unknown>,
  from: number,
  to: number,
): Promise<Log[]> {
  const range = { fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` };
  return (await call(url, 'eth_getLogs', [{ ...filter, ...range }])) as Log[];
}

describe('subscription feed: newHeads', () => {
  it('delivers every block once, in order, across 50 blocks mined quickly', async () => {
    const h = await setup();
    const start = h.feed.tip!.number;
    const heads = subscribe(h.feed, 'newHeads');
    await call(h.node.url, 'anvil_mine', ['0x19']);
    for (let i = 0; i < 25; i++) await call(h.node.url, 'evm_mine');
    await caughtUp(h);
    expect(await headNumber(h.node.url)).toBe(start + 50);
    await expectCanonicalHeads(h.node.url, heads.heads, start + 1, start + 50);
    const header = heads.notes[0]!.result;
    for (const field of [
      'parentHash',
      'sha3Uncles',
      'miner',
      'stateRoot',
      'logsBloom',
      'number',
      'gasLimit',
      'timestamp',
      'hash',
    ])
      expect(header, field).toHaveProperty(field);
    for (const field of ['transactions', 'uncles', 'size', 'totalDifficulty'])
      expect(header).not.toHaveProperty(field);
    expect(heads.notes[0]!.json).toBe(JSON.stringify(header));
  });

  it('refuses unknown kinds and parameters with ERR_REALTIME_INVALID_SUBSCRIPTION', async () => {
    const h = await setup();
    for (const [kind, params] of [
      ['newPendingTransactions', undefined],
      ['newHeads', { a: 1 }],
      ['logs', { fromBlock: '0x1' }],
    ] as const) {
      const result = h.feed.subscribe(kind, params, new Collector());
      expect(result).toBeInstanceOf(GatewayError);
      expect((result as GatewayError).code).toBe('ERR_REALTIME_INVALID_SUBSCRIPTION');
    }
  });

  it('ends only the subscription whose sink refuses or throws', async () => {
    const h = await setup();
    const good = subscribe(h.feed, 'newHeads');
    const refusing = new Collector();
    refusing.next = () => false;
    const throwing = new Collector();
    throwing.next = () => {
      throw new Error('socket gone');
    };
    for (const sink of [refusing, throwing])
      (h.feed.subscribe('newHeads', undefined, sink) as FeedSubscription).start();
    const start = h.feed.tip!.number;
    await call(h.node.url, 'anvil_mine', ['0x3']);
    await caughtUp(h);
    expect(refusing.ended?.code).toBe('ERR_REALTIME_SINK_REFUSED');
    expect(throwing.ended?.code).toBe('ERR_REALTIME_SINK_REFUSED');
    await expectCanonicalHeads(h.node.url, good.heads, start + 1, start + 3);
    expect(h.feed.stats.subscriptions.newHeads).toBe(1);
  });
});

describe('subscription feed: logs', () => {
  it('matches address and topic filters in-process, from one eth_getLogs per block', async () => {
    const h = await setup();
    const filters = [
      undefined,
      { address: A },
      { topics: [T1] },
      { address: [A, B], topics: [null, [T2, T3]] },
      { address: B, topics: [[T3], T2] },
      { topics: [null, null, null] },
    ];
    const sinks = filters.map((filter) => subscribe(h.feed, 'logs', filter));
    const start = h.feed.tip!.number;
    h.proxies[0]!.resetStats();
    await emit(h.node.url, A, T1, T2);
    await emit(h.node.url, B, T1, T3);
    await emit(h.node.url, A, T2, T1);
    await call(h.node.url, 'evm_mine');
    await emit(h.node.url, B, T3, T2);
    await caughtUp(h);
    const end = start + 5;
    // The last filter is left out: anvil matches wildcard positions beyond a log's topics, geth
    // (and Turnpike) do not: a filter with more positions than a log has topics never matches it.
    for (const [i, filter] of filters.slice(0, -1).entries()) {
      const expected = await nodeLogs(h.node.url, filter ?? {}, start + 1, end);
      expect(sinks[i]!.logs.map(logKey), JSON.stringify(filter)).toEqual(expected.map(logKey));
    }
    expect(sinks[0]!.logs).toHaveLength(4);
    expect(sinks[5]!.logs).toHaveLength(0);
    // One eth_getLogs per block for six subscribers; no retries were needed.
    expect(h.proxies[0]!.stats.byMethod.get('eth_getLogs')).toBe(5);
  });

  it('re-sends the logs of an anvil_reorg’s orphaned blocks once with removed: true, before the new branch', async () => {
    const h = await setup();
    const logs = subscribe(h.feed, 'logs', { address: A });
    const heads = subscribe(h.feed, 'newHeads');
    const start = h.feed.tip!.number;
    await emit(h.node.url, A, T1, T1); // start + 1
    await call(h.node.url, 'evm_mine'); // start + 2
    await caughtUp(h);
    const before = logs.logs.map(logKey);
    expect(before).toHaveLength(1);
    const orphanedHeads = [await blockAt(h.node.url, start + 1), await blockAt(h.node.url, start + 2)];

    await call(h.node.url, 'anvil_reorg', [2, [[emitTx(A, T2, T2), 0]]]);
    await call(h.node.url, 'evm_mine'); // start + 3
    await caughtUp(h);

    const branch = await nodeLogs(h.node.url, { address: A }, start + 1, start + 3);
    expect(branch).toHaveLength(1);
    expect(branch[0]!.topics[0]).toBe(T2);
    expect(logs.logs.map(logKey)).toEqual([
      before[0],
      logKey({ ...logs.logs[0]!, removed: true }),
      ...branch.map(logKey),
    ]);
    expect(logs.logs[1]!.removed).toBe(true);
    // Heads: the orphaned ones, then the new branch from the fork.
    const numbers = heads.heads.map((head) => Number.parseInt(head.number, 16));
    expect(numbers).toEqual([start + 1, start + 2, start + 1, start + 2, start + 3]);
    expect(heads.heads.slice(0, 2).map((head) => head.hash)).toEqual(
      orphanedHeads.map((block) => block.hash),
    );
    await expectCanonicalHeads(h.node.url, heads.heads.slice(2), start + 1, start + 3);
    expect(h.feed.stats.reorgs).toBe(1);
  });
});

describe('subscription feed: resume', () => {
  it('resumes after 20 blocks and a reorg that orphaned the last block received', async () => {
    const h = await setup();
    const first = subscribe(h.feed, 'logs', { address: A });
    const firstHeads = subscribe(h.feed, 'newHeads');
    const start = h.feed.tip!.number;
    await emit(h.node.url, A, T1, T1); // start + 1
    await emit(h.node.url, A, T2, T2); // start + 2
    await caughtUp(h);
    expect(first.logs).toHaveLength(2);
    const last = firstHeads.heads.at(-1)!;
    const point = { hash: last.hash, number: Number.parseInt(last.number, 16) };
    expect(point.number).toBe(start + 2);
    // The client goes away.
    for (const sink of [first, firstHeads]) expect(h.feed.unsubscribe(sink.subscription!.id)).toBe(true);
    expect(h.feed.stats.subscriptions).toEqual({ newHeads: 0, logs: 0 });

    await call(h.node.url, 'anvil_reorg', [2, [[emitTx(A, T3, T3), 1]]]);
    for (let i = 0; i < 10; i++) {
      await emit(h.node.url, A, T1, `0x${(i + 16).toString(16).padStart(64, '0')}`);
      await call(h.node.url, 'evm_mine');
    }
    await caughtUp(h);
    const head = await headNumber(h.node.url);
    expect(head).toBe(start + 22);

    const resumed = subscribe(h.feed, 'logs', { address: A }, point);
    const resumedHeads = subscribe(h.feed, 'newHeads', undefined, point);
    const fresh = await nodeLogs(h.node.url, { address: A }, start + 1, head);
    expect(fresh).toHaveLength(11);
    expect(resumed.logs.map(logKey)).toEqual([
      ...first.logs.map((log) => logKey({ ...log, removed: true })),
      ...fresh.map(logKey),
    ]);
    await expectCanonicalHeads(h.node.url, resumedHeads.heads, start + 1, head);

    // Resuming from a block still canonical sends only what came after it.
    const middle = resumedHeads.heads[9]!;
    const later = subscribe(h.feed, 'newHeads', undefined, { hash: middle.hash, number: start + 10 });
    await expectCanonicalHeads(h.node.url, later.heads, start + 11, head);
  });

  it('refuses a resume point beyond the window, or one it never delivered, with documented codes', async () => {
    const h = await setup(1, { historyBlocks: 16 });
    const old = h.feed.tip!;
    await call(h.node.url, 'anvil_mine', ['0x1e']);
    await caughtUp(h);
    const far = h.feed.subscribe('newHeads', undefined, new Collector(), old);
    expect((far as GatewayError).code).toBe('ERR_REALTIME_RESUME_OUT_OF_WINDOW');
    const tip = h.feed.tip!;
    const unknown = h.feed.subscribe('logs', {}, new Collector(), {
      hash: `0x${'ee'.repeat(32)}`,
      number: tip.number - 1,
    });
    expect((unknown as GatewayError).code).toBe('ERR_REALTIME_RESUME_UNKNOWN_BLOCK');
    expect(h.feed.stats.historyBlocks).toBe(16);
  });
});

describe('subscription feed: failing upstreams', () => {
  it('delivers every block exactly once while one upstream dies, then while every upstream fails eth_getLogs', async () => {
    const h = await setup(2);
    const heads = subscribe(h.feed, 'newHeads');
    const logs = subscribe(h.feed, 'logs', { address: A });
    const start = h.feed.tip!.number;
    for (let i = 1; i <= 60; i++) {
      if (i === 20) await h.proxies[0]!.pause();
      if (i === 35) await h.proxies[0]!.resume();
      // Then every upstream fails eth_getLogs for ten blocks: the feed retries, later blocks wait.
      const failing: Fault = { kind: 'status', status: 500, methods: ['eth_getLogs'] };
      if (i === 40) for (const proxy of h.proxies) proxy.setFault(failing);
      if (i === 50) for (const proxy of h.proxies) proxy.setFault(null);
      if (i % 3 === 0) await emit(h.node.url, A, T1, `0x${i.toString(16).padStart(64, '0')}`);
      else await call(h.node.url, 'evm_mine');
      await sleep(15);
    }
    await caughtUp(h);
    await expectCanonicalHeads(h.node.url, heads.heads, start + 1, start + 60);
    expect(logs.logs.map(logKey)).toEqual(
      (await nodeLogs(h.node.url, { address: A }, start + 1, start + 60)).map(logKey),
    );
    expect(logs.logs).toHaveLength(20);
    // The faults happened: the feed's reads waited them out.
    expect(h.proxies[0]!.stats.faulted + h.proxies[1]!.stats.faulted).toBeGreaterThan(0);
    expect(h.feed.stats.failedSteps).toBe(0);
  });
});
