/**
 * The subscription feed against a real anvil node through a real network pipeline: every
 * canonical block delivered once and in order, geth's header members, sinks that refuse, and
 * logs matched in-process from one eth_getLogs per block, with reorgs re-sent as `removed: true`
 * once before the new branch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../src/errors/gateway-error.js';
import type { FeedSubscription } from '../src/realtime/feed/feed-subscription.js';
import {
  A,
  B,
  blockAt,
  Collector,
  call,
  caughtUp,
  cleanUp,
  emit,
  emitTx,
  expectCanonicalHeads,
  headNumber,
  logKey,
  nodeLogs,
  setup,
  subscribe,
  T1,
  T2,
  T3,
} from './support/realtime-feed-harness.js';

afterEach(cleanUp);

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
      ['newPendingHeads', undefined],
      ['newPendingTransactions', true],
      ['newHeads', { a: 1 }],
      ['logs', { fromBlock: '0x1' }],
    ] as const) {
      const result = h.feed.subscribe(kind, params, new Collector());
      expect(result).toBeInstanceOf(GatewayError);
      expect((result as GatewayError).code).toBe('ERR_REALTIME_INVALID_SUBSCRIPTION');
    }
    // A feed without a pending source (no upstream wsUrl) says so.
    const pending = h.feed.subscribe('newPendingTransactions', undefined, new Collector());
    expect((pending as GatewayError).code).toBe('ERR_REALTIME_SUBSCRIPTIONS_UNAVAILABLE');
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
