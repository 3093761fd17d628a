/**
 * Where traffic goes: away from a slow upstream, never to one on the wrong chain, and not to one
 * whose head lags — until it catches up.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import {
  metricsText,
  readyz,
  runLoad,
  startTestGateway,
  type TestGateway,
  upstreamState,
  waitFor,
} from './failover-support.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { rpc } from './support/rpc.js';

let gw: TestGateway | undefined;
const proxies: FaultProxy[] = [];
const MAX_BLOCK_LAG = 5;

/** An upstream's sample of a per-upstream gauge; fails when the series is missing, so a 0 is a real 0. */
function upstreamGauge(text: string, name: string, upstream: string): number {
  const lines = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(`upstream="${upstream}"`));
  expect(lines, `${name} of ${upstream}`).toHaveLength(1);
  const line = lines[0]!;
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function proxy(target: AnvilNode): Promise<FaultProxy> {
  const started = await startFaultProxy(target.url);
  proxies.push(started);
  return started;
}

afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await stopAllAnvils();
});

describe('routing', () => {
  it('shifts traffic away from a slow upstream', async () => {
    const node = await startAnvil();
    const slow = await proxy(node);
    const fast = await proxy(node);
    slow.setFault({ kind: 'latency', ms: 50 });
    gw = await startTestGateway(
      [
        { id: 'slow', url: slow.url },
        { id: 'fast', url: fast.url },
      ],
      { failsafe: { attemptTimeoutMs: 5_000 }, health: { probeIntervalMs: 500 } },
    );
    const warmUp = await runLoad({ url: gw.url, client: gw.client, total: 60, concurrency: 8 });
    expect(warmUp.errors).toEqual([]);

    const result = await runLoad({ url: gw.url, client: gw.client, total: 300, concurrency: 8 });
    expect(result.errors).toEqual([]);
    const toFast = result.byUpstream.get('fast') ?? 0;
    expect(toFast / 300).toBeGreaterThan(0.75);
    expect(toFast + (result.byUpstream.get('slow') ?? 0)).toBe(300);
  });

  it('excludes an upstream on the wrong chain and sends it no requests', async () => {
    const [local, other] = await Promise.all([startAnvil(), startAnvil({ chainId: 1 })]);
    const good = await proxy(local);
    const wrong = await proxy(other);
    gw = await startTestGateway(
      [
        { id: 'good', url: good.url },
        // A huge weight: were it not excluded, it would win every comparison.
        { id: 'wrong-chain', url: wrong.url, weight: 1_000 },
      ],
      { chainId: 31337, health: { probeIntervalMs: 300 } },
    );
    const state = await upstreamState(gw.baseUrl, 'wrong-chain');
    expect(state.excluded).toBe('chain-id-mismatch');
    expect(state.available).toBe(false);
    const ready = await readyz(gw.baseUrl);
    expect(ready.status).toBe(200);
    // Dashboards see the same exclusion.
    const metrics = await metricsText(gw.baseUrl);
    expect(upstreamGauge(metrics, 'turnpike_upstream_excluded', 'wrong-chain')).toBe(1);
    expect(upstreamGauge(metrics, 'turnpike_upstream_excluded', 'good')).toBe(0);
    expect(upstreamGauge(metrics, 'turnpike_upstream_available', 'wrong-chain')).toBe(0);

    const result = await runLoad({ url: gw.url, client: gw.client, total: 200, concurrency: 8 });
    expect(result.errors).toEqual([]);
    expect(result.byUpstream).toEqual(new Map([['good', 200]]));
    expect(wrong.stats.byMethod.get('eth_getBalance')).toBeUndefined();
    expect(good.stats.byMethod.get('eth_getBalance')).toBe(200);
    // The gateway answers eth_chainId itself, with the network's chain id.
    expect((await rpc(gw.url, 'eth_chainId')).body).toMatchObject({ result: '0x7a69' });
  });

  it('excludes an upstream whose head lags, then readmits it once it catches up', async () => {
    const [leader, stuck] = await Promise.all([startAnvil(), startAnvil({ noMining: true })]);
    const leaderProxy = await proxy(leader);
    const stuckProxy = await proxy(stuck);
    gw = await startTestGateway(
      [
        { id: 'leader', url: leaderProxy.url },
        { id: 'stuck', url: stuckProxy.url },
      ],
      { health: { probeIntervalMs: 200, maxBlockLag: MAX_BLOCK_LAG } },
    );
    const baseUrl = gw.baseUrl;
    // Level at first: both serve traffic.
    expect((await upstreamState(baseUrl, 'stuck')).excluded).toBeNull();

    await rpc(leader.url, 'anvil_mine', ['0x14']); // 20 blocks
    // Also wait for the leader's head to show all 20 blocks: a probe may have caught anvil halfway.
    await waitFor('the stuck node to be excluded as lagging', async () => {
      const [stuckNow, leaderNow] = await Promise.all([
        upstreamState(baseUrl, 'stuck'),
        upstreamState(baseUrl, 'leader'),
      ]);
      return stuckNow.excluded === 'lagging' && leaderNow.head >= 20;
    });
    const leaderState = await upstreamState(baseUrl, 'leader');
    expect(leaderState.head).toBeGreaterThanOrEqual(20);
    expect(leaderState.excluded).toBeNull();
    // The stuck node stays at block 0 from here on, so these gauges cannot move under us.
    const lagging = await metricsText(baseUrl);
    expect(upstreamGauge(lagging, 'turnpike_upstream_excluded', 'stuck')).toBe(1);
    expect(upstreamGauge(lagging, 'turnpike_upstream_excluded', 'leader')).toBe(0);
    expect(upstreamGauge(lagging, 'turnpike_upstream_head_lag_blocks', 'stuck')).toBeGreaterThan(
      MAX_BLOCK_LAG,
    );
    expect(upstreamGauge(lagging, 'turnpike_upstream_head_lag_blocks', 'leader')).toBe(0);

    stuckProxy.resetStats();
    const whileLagging = await runLoad({ url: gw.url, client: gw.client, total: 200, concurrency: 8 });
    expect(whileLagging.errors).toEqual([]);
    expect(whileLagging.byUpstream).toEqual(new Map([['leader', 200]]));
    expect(stuckProxy.stats.byMethod.get('eth_getBalance')).toBeUndefined();

    await rpc(stuck.url, 'anvil_mine', ['0x14']);
    await waitFor('the stuck node to be readmitted', async () => {
      return (await upstreamState(baseUrl, 'stuck')).excluded === null;
    });
    const readmitted = await metricsText(baseUrl);
    expect(upstreamGauge(readmitted, 'turnpike_upstream_excluded', 'stuck')).toBe(0);
    expect(upstreamGauge(readmitted, 'turnpike_upstream_head_lag_blocks', 'stuck')).toBeLessThanOrEqual(
      MAX_BLOCK_LAG,
    );
    const caughtUp = await runLoad({ url: gw.url, client: gw.client, total: 300, concurrency: 8 });
    expect(caughtUp.errors).toEqual([]);
    expect(caughtUp.byUpstream.get('stuck') ?? 0).toBeGreaterThan(0);
  });
});
