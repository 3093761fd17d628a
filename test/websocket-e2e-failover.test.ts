/**
 * Subscriptions through the gateway's sockets while the upstream that feeds them dies (its
 * fault proxy process killed with SIGKILL: listener and connections gone) or fails eth_getLogs,
 * with blocks mined at a steady pace on one anvil behind several proxies. Every subscriber must
 * get every block exactly once, in order, on a socket that stays open.
 */
import { describe, expect, it } from 'vitest';
import type { AnvilNode } from '../src/dev/anvil.js';
import type { Gateway } from '../src/gateway.js';
import { type Fault, startFaultProxy } from './support/fault-proxy.js';
import { startFaultProxyProcess } from './support/fault-proxy-process.js';
import {
  A,
  blockAt,
  call,
  emit,
  expectCanonicalHeads,
  logKey,
  nodeLogs,
  sleep,
  T1,
  waitFor,
} from './support/realtime-feed-harness.js';
import { cleanupsAfterEach, startEmitterNode, startFeed, startWsGateway } from './support/ws-e2e-fixture.js';
import { Recorder } from './support/ws-recorder.js';

const BLOCKS = 200;

const onCleanup = cleanupsAfterEach();

async function startNode(): Promise<AnvilNode> {
  const anvil = await startEmitterNode();
  onCleanup(() => anvil.stop());
  return anvil;
}

/** One network whose first upstream is the only primary: it feeds the chain tracker and the feed's reads. */
async function startGateway(urls: readonly string[]): Promise<{ gateway: Gateway; wsUrl: string }> {
  const started = await startWsGateway({
    upstreams: urls.map((url, index) => ({
      id: `p${index}`,
      url,
      tier: index === 0 ? ('primary' as const) : ('fallback' as const),
    })),
    network: {
      failsafe: {
        attemptTimeoutMs: 1_000,
        deadlineMs: 5_000,
        breaker: { consecutiveFailures: 3, openMs: 60_000 },
      },
      health: { probeIntervalMs: 200 },
    },
  });
  onCleanup(() => started.gateway.close(1_000));
  return started;
}

interface Subscribers {
  sockets: Recorder[];
  heads: { socket: Recorder; id: string }[];
  logsOfA: { socket: Recorder; id: string }[];
  allLogs: { socket: Recorder; id: string }[];
  /** The feed's tip when they subscribed: each gets the blocks after it. */
  start: number;
}

/** Three sockets: newHeads + logs of A, newHeads, logs of everything. */
async function subscribeAll(gateway: Gateway, anvil: AnvilNode, wsUrl: string): Promise<Subscribers> {
  // A first subscription starts the feed; the others join once it is at the node's head.
  const { warmup, head } = await startFeed(gateway, wsUrl, anvil.url);
  onCleanup(() => warmup.close());
  const sockets = await Promise.all([1, 2, 3].map(() => Recorder.open(wsUrl)));
  for (const socket of sockets) onCleanup(() => socket.close());
  const [one, two, three] = sockets as [Recorder, Recorder, Recorder];
  const subscribers: Subscribers = {
    sockets,
    heads: [
      { socket: one, id: await one.subscribe('newHeads') },
      { socket: two, id: await two.subscribe('newHeads') },
    ],
    logsOfA: [{ socket: one, id: await one.subscribe('logs', { address: A }) }],
    allLogs: [{ socket: three, id: await three.subscribe('logs', {}) }],
    start: Number.parseInt(head.number, 16),
  };
  await warmup.close();
  return subscribers;
}

/** Mines BLOCKS blocks, one every ~25 ms, every fourth with a log of A; `at(i)` runs before block i. */
async function mineSteadily(anvil: AnvilNode, at: (i: number) => Promise<void> | void): Promise<void> {
  for (let i = 1; i <= BLOCKS; i++) {
    await at(i);
    if (i % 4 === 0) await emit(anvil.url, A, T1, `0x${i.toString(16).padStart(64, '0')}`);
    else await call(anvil.url, 'evm_mine');
    await sleep(25);
  }
}

/** Every subscriber got every block once, in order, as the node has it, and no socket closed. */
async function expectEverythingOnce(anvil: AnvilNode, subscribers: Subscribers): Promise<void> {
  const { start } = subscribers;
  const end = start + BLOCKS;
  const last = await blockAt(anvil.url, end);
  for (const { socket, id } of subscribers.heads)
    await waitFor(`block ${end} on a newHeads socket`, () =>
      socket.results(id).some((head) => head.hash === last.hash),
    );
  const expectedOfA = (await nodeLogs(anvil.url, { address: A }, start + 1, end)).map(logKey);
  const expectedAll = (await nodeLogs(anvil.url, {}, start + 1, end)).map(logKey);
  expect(expectedOfA).toHaveLength(BLOCKS / 4);
  for (const { socket, id } of subscribers.logsOfA)
    await waitFor('every log of A', () => socket.results(id).length >= expectedOfA.length);
  for (const { socket, id } of subscribers.allLogs)
    await waitFor('every log', () => socket.results(id).length >= expectedAll.length);
  await sleep(300); // a duplicate would arrive right behind
  for (const { socket, id } of subscribers.heads)
    await expectCanonicalHeads(anvil.url, socket.results(id), start + 1, end);
  for (const { socket, id } of subscribers.logsOfA)
    expect(socket.results(id).map(logKey)).toEqual(expectedOfA);
  for (const { socket, id } of subscribers.allLogs)
    expect(socket.results(id).map(logKey)).toEqual(expectedAll);
  for (const socket of subscribers.sockets) {
    expect(socket.closedWith).toBeUndefined();
    expect(socket.open).toBe(true);
    expect(socket.errors).toEqual([]);
  }
}

describe('subscriptions while upstreams fail, blocks mined steadily', () => {
  it('delivers every block once, in order, while the primary and then a fallback are killed -9', async () => {
    const anvil = await startNode();
    const proxies = await Promise.all([0, 1, 2].map(() => startFaultProxyProcess(anvil.url)));
    for (const proxy of proxies) onCleanup(() => proxy.kill());
    const { gateway, wsUrl } = await startGateway(proxies.map((proxy) => proxy.url));
    const subscribers = await subscribeAll(gateway, anvil, wsUrl);
    const kills: number[] = [];
    await mineSteadily(anvil, async (i) => {
      // The primary feeds the tracker and every read of the feed; then one of the two fallbacks.
      if (i === 60 || i === 130) {
        await proxies[kills.length]!.kill('SIGKILL');
        kills.push(i);
      }
    });
    expect(kills).toEqual([60, 130]);
    await expectEverythingOnce(anvil, subscribers);
    expect(gateway.realtime!.stats.connections).toBe(3);
  }, 120_000);

  const internalError = (method: string): Fault => ({
    kind: 'rpc-error',
    code: -32603,
    message: 'internal error',
    methods: [method],
  });
  it.each<[string, Fault]>([
    ['eth_getLogs with HTTP 500', { kind: 'status', status: 500, methods: ['eth_getLogs'] }],
    ['eth_getLogs with a JSON-RPC error', internalError('eth_getLogs')],
    // The chain tracker's head polls: the feed learns of no block while they fail.
    ['eth_getBlockByNumber with a JSON-RPC error', internalError('eth_getBlockByNumber')],
  ])(
    'delivers every block once, in order, while the primary answers %s',
    async (_, fault) => {
      const method = fault.methods![0]!;
      const anvil = await startNode();
      const proxies = await Promise.all([0, 1].map(() => startFaultProxy(anvil.url)));
      for (const proxy of proxies) onCleanup(() => proxy.close());
      const { gateway, wsUrl } = await startGateway(proxies.map((proxy) => proxy.url));
      const subscribers = await subscribeAll(gateway, anvil, wsUrl);
      const { start } = subscribers;
      const [heads] = subscribers.heads;
      await mineSteadily(anvil, async (i) => {
        if (i === 40) proxies[0]!.setFault(fault);
        if (i !== 160) return;
        // Still failing: the feed must not wait for the primary to recover (it could wait forever).
        const last = await blockAt(anvil.url, start + 159);
        await waitFor(`block 159 while the primary still fails ${method}`, () =>
          heads!.socket.results(heads!.id).some((head) => head.hash === last.hash),
        );
        proxies[0]!.setFault(null);
      });
      await expectEverythingOnce(anvil, subscribers);
      // The faults happened, and the fallback answered the reads the primary failed.
      expect(proxies[0]!.stats.faulted).toBeGreaterThan(0);
      expect(proxies[1]!.stats.byMethod.get(method) ?? 0).toBeGreaterThan(0);
    },
    120_000,
  );
});
