/**
 * Hedging: a slow first upstream gets a second attempt on a fast one, which wins; and
 * eth_sendRawTransaction is never hedged, however slow its upstream.
 */
import { keccak256 } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { metricsText, metricValue, runLoad, startTestGateway, type TestGateway } from './failover-support.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { rpc } from './support/rpc.js';

let node: AnvilNode;
let slow: FaultProxy;
let fast: FaultProxy;

beforeAll(async () => {
  node = await startAnvil();
  [slow, fast] = await Promise.all([startFaultProxy(node.url), startFaultProxy(node.url)]);
  slow.setFault({ kind: 'latency', ms: 300 });
});

afterAll(async () => {
  await Promise.all([slow?.close(), fast?.close()]);
  await node?.stop();
});

const HEDGING = {
  attemptTimeoutMs: 5_000,
  deadlineMs: 15_000,
  hedge: { enabled: true, minDelayMs: 20, maxDelayMs: 60 },
};

async function withGateway(
  weightOfSlow: number,
  run: (gw: TestGateway) => Promise<void>,
  probeIntervalMs = 1_000,
): Promise<void> {
  const gw = await startTestGateway(
    [
      { id: 'slow', url: slow.url, weight: weightOfSlow },
      { id: 'fast', url: fast.url },
    ],
    { failsafe: HEDGING, health: { probeIntervalMs } },
  );
  try {
    await run(gw);
  } finally {
    await gw.close();
  }
}

describe('hedging', () => {
  it('races a slow upstream with a fast one; the fast one wins and every request succeeds', async () => {
    // The weight keeps the slow upstream the first choice, so every request needs a hedge.
    await withGateway(1_000_000, async (gw) => {
      const result = await runLoad({ url: gw.url, client: gw.client, total: 60, concurrency: 4 });
      expect(result.errors).toEqual([]);
      const metrics = await metricsText(gw.baseUrl);
      const started = metricValue(metrics, 'turnpike_hedges_total', { phase: 'started' });
      const won = metricValue(metrics, 'turnpike_hedges_total', { phase: 'won' });
      expect(started).toBeGreaterThanOrEqual(30);
      expect(won).toBeGreaterThanOrEqual(30);
      // The winners came from the fast upstream: it answered (nearly) everything, the slow one's
      // attempts were cancelled as hedge losers.
      expect(result.byUpstream.get('fast') ?? 0).toBeGreaterThanOrEqual(55);
      expect(
        metricValue(metrics, 'turnpike_upstream_attempts_total', { upstream: 'fast', outcome: 'ok' }),
      ).toBeGreaterThanOrEqual(won);
      expect(
        metricValue(metrics, 'turnpike_upstream_attempts_total', { upstream: 'slow', outcome: 'cancelled' }),
      ).toBeGreaterThanOrEqual(30);
      // A cancelled hedge loser is no failure: the slow upstream's breaker stays closed.
      expect(metricValue(metrics, 'turnpike_upstream_breaker_state', { upstream: 'slow' })).toBe(0);
    });
  });

  it('learns from lost hedges: an upstream that turns slow stops being the first choice', async () => {
    slow.setFault(null);
    try {
      await withGateway(
        1,
        async (gw) => {
          const warmUp = await runLoad({ url: gw.url, client: gw.client, total: 100, concurrency: 4 });
          expect(warmUp.errors).toEqual([]);
          expect(warmUp.byUpstream.get('slow') ?? 0).toBeGreaterThan(0);
          // Now it turns slow. Its attempts only ever end as cancelled hedge losers, yet ranking
          // must learn that it is slow, or half of all requests keep paying the hedge delay.
          slow.setFault({ kind: 'latency', ms: 300 });
          const before = await metricsText(gw.baseUrl);
          const result = await runLoad({ url: gw.url, client: gw.client, total: 800, concurrency: 4 });
          expect(result.errors).toEqual([]);
          expect((result.byUpstream.get('fast') ?? 0) / 800).toBeGreaterThan(0.9);
          const after = await metricsText(gw.baseUrl);
          // A hedge "won" when the slow upstream was the first choice and the fast one overtook it
          // (under CPU load the fast one may get hedged too, but then the first attempt wins).
          const slowFirst =
            metricValue(after, 'turnpike_hedges_total', { phase: 'won' }) -
            metricValue(before, 'turnpike_hedges_total', { phase: 'won' });
          expect(slowFirst).toBeGreaterThan(0);
          expect(slowFirst).toBeLessThan(40);
          // Health probes would teach it too, but far too slowly: keep them out of this test.
        },
        600_000,
      );
    } finally {
      slow.setFault({ kind: 'latency', ms: 300 });
    }
  });

  it('never hedges eth_sendRawTransaction: each send reaches exactly one upstream', async () => {
    const account = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
    await withGateway(1_000_000, async (gw) => {
      slow.resetStats();
      fast.resetStats();
      const before = await metricsText(gw.baseUrl);
      const sends = 5;
      const nonceRes = await rpc(node.url, 'eth_getTransactionCount', [account.address, 'latest']);
      const firstNonce = Number.parseInt((nonceRes.body as { result: string }).result, 16);
      for (let i = 0; i < sends; i++) {
        const raw = await account.signTransaction({
          chainId: 31337,
          nonce: firstNonce + i,
          to: '0x0000000000000000000000000000000000000002',
          value: 1n,
          gas: 21_000n,
          maxFeePerGas: 100_000_000_000n,
          maxPriorityFeePerGas: 1n,
        });
        const res = await rpc(gw.url, 'eth_sendRawTransaction', [raw], { id: i });
        expect(res.body).toEqual({ jsonrpc: '2.0', id: i, result: keccak256(raw) });
        expect(res.headers['x-turnpike-upstream']).toBe('slow');
      }
      const sentToSlow = slow.stats.byMethod.get('eth_sendRawTransaction') ?? 0;
      const sentToFast = fast.stats.byMethod.get('eth_sendRawTransaction') ?? 0;
      expect(sentToSlow).toBe(sends);
      expect(sentToFast).toBe(0);
      const after = await metricsText(gw.baseUrl);
      expect(metricValue(after, 'turnpike_hedges_total', { phase: 'started' })).toBe(
        metricValue(before, 'turnpike_hedges_total', { phase: 'started' }),
      );
      const count = await rpc(node.url, 'eth_getTransactionCount', [account.address, 'latest']);
      expect(Number.parseInt((count.body as { result: string }).result, 16)).toBe(firstNonce + sends);
    });
  });
});
