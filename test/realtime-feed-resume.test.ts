/**
 * The subscription feed against a real anvil node through a real network pipeline: resuming
 * across 20 blocks and a reorg, the resume window, and upstreams that die or fail eth_getLogs
 * while blocks are mined at a steady pace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayError } from '../src/errors/gateway-error.js';
import type { Fault } from './support/fault-proxy.js';
import {
  A,
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
  sleep,
  subscribe,
  T1,
  T2,
  T3,
} from './support/realtime-feed-harness.js';

afterEach(cleanUp);

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
