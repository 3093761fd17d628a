/**
 * The subscription feed over a real network pipeline in front of a real anvil node (fault
 * proxies between them), for test/realtime-feed-*.test.ts: an event emitter set with
 * anvil_setCode (no compiler needed), a collecting sink, and checks against anvil's own answers.
 */
import { expect } from 'vitest';
import { MemoryCacheStore } from '../../src/cache/memory-store.js';
import { networkSchema } from '../../src/config/schema.js';
import { type AnvilNode, startAnvil } from '../../src/dev/anvil.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { Network } from '../../src/network/network.js';
import type { BlockPoint, FeedNotification } from '../../src/realtime/feed/feed-block.js';
import type { FeedSubscription } from '../../src/realtime/feed/feed-subscription.js';
import { SubscriptionFeed, type SubscriptionFeedOptions } from '../../src/realtime/feed/subscription-feed.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

const ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
/** Runtime code: LOG2 with topic0 = calldata[0..32], topic1 = calldata[32..64], no data. */
export const EMITTER_CODE = '0x60203560003560006000a200';
export const A = `0x${'a1'.repeat(20)}`;
export const B = `0x${'b2'.repeat(20)}`;
export const T1 = `0x${'01'.repeat(32)}`;
export const T2 = `0x${'02'.repeat(32)}`;
export const T3 = `0x${'03'.repeat(32)}`;
const silent = { warn() {}, info() {} };

export async function call(url: string, method: string, params: unknown[] = []): Promise<unknown> {
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

export function emitTx(emitter: string, topic0: string, topic1: string) {
  return { from: ACCOUNT_0, to: emitter, data: `${topic0}${topic1.slice(2)}`, gas: '0x186a0' };
}

/** One transaction emitting LOG2(topic0, topic1) from `emitter`, mined in a block of its own. */
export async function emit(url: string, emitter: string, topic0: string, topic1: string): Promise<void> {
  const hash = await call(url, 'eth_sendTransaction', [emitTx(emitter, topic0, topic1)]);
  const deadline = Date.now() + 5_000;
  while ((await call(url, 'eth_getTransactionReceipt', [hash])) === null) {
    if (Date.now() > deadline) throw new Error('not mined');
    await sleep(5);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(
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

export interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
}

export async function blockAt(url: string, number: number | 'latest'): Promise<RawBlock> {
  const tag = number === 'latest' ? number : `0x${number.toString(16)}`;
  return (await call(url, 'eth_getBlockByNumber', [tag, false])) as RawBlock;
}

export async function headNumber(url: string): Promise<number> {
  return Number.parseInt((await blockAt(url, 'latest')).number, 16);
}

export interface Log {
  address: string;
  topics: string[];
  blockHash: string;
  blockNumber: string;
  logIndex: string;
  transactionHash: string;
  removed?: boolean;
}

/** What a test compares: the identity of a log and whether it was removed. */
export const logKey = (log: Log) =>
  `${log.blockNumber}:${log.blockHash}:${log.logIndex}:${log.topics.join(',')}:${log.removed === true ? 'removed' : 'added'}`;

export class Collector {
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

export interface Harness {
  node: AnvilNode;
  proxies: FaultProxy[];
  network: Network;
  feed: SubscriptionFeed;
}

const cleanups: (() => Promise<void>)[] = [];

/** Stops what `setup` started; every test file calls it after each test. */
export async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

export async function setup(
  upstreams = 1,
  feedOptions: Partial<SubscriptionFeedOptions> = {},
): Promise<Harness> {
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

export function subscribe(
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
export async function caughtUp(h: Harness): Promise<void> {
  const head = await blockAt(h.node.url, 'latest');
  await waitFor(
    `the feed at block ${Number.parseInt(head.number, 16)}`,
    () => h.feed.tip?.hash === head.hash,
  );
}

/** Heads are contiguous, linked by parent hash, and are the node's canonical blocks. */
export async function expectCanonicalHeads(
  url: string,
  heads: RawBlock[],
  from: number,
  to: number,
): Promise<void> {
  expect(heads.map((head) => Number.parseInt(head.number, 16))).toEqual(
    Array.from({ length: to - from + 1 }, (_, i) => from + i),
  );
  for (let i = 1; i < heads.length; i++) expect(heads[i]!.parentHash).toBe(heads[i - 1]!.hash);
  const canonical = await Promise.all(heads.map((head) => blockAt(url, Number.parseInt(head.number, 16))));
  expect(heads.map((head) => head.hash)).toEqual(canonical.map((block) => block.hash));
}

export async function nodeLogs(
  url: string,
  filter: Record<string, unknown>,
  from: number,
  to: number,
): Promise<Log[]> {
  const range = { fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` };
  return (await call(url, 'eth_getLogs', [{ ...filter, ...range }])) as Log[];
}
