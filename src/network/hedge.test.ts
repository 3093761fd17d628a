import diagnostics from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../test/support/fault-proxy.js';
import { type NetworkConfig, networkSchema } from '../config/schema.js';
import { type AnvilNode, startAnvil } from '../dev/anvil.js';
import {
  type HedgeEvent,
  hedgeChannel,
  type UpstreamAttemptEvent,
  upstreamAttemptChannel,
} from '../events/channels.js';
import { Upstream } from '../upstream/upstream.js';
import { hedgeDelay, runHedged } from './hedge.js';

let node: AnvilNode;
let slowProxy: FaultProxy;
let fastProxy: FaultProxy;
const created: Upstream[] = [];
const events: HedgeEvent[] = [];
const attempts: UpstreamAttemptEvent[] = [];
const onHedge = (message: unknown) => events.push(message as HedgeEvent);
const onAttempt = (message: unknown) => attempts.push(message as UpstreamAttemptEvent);

beforeAll(async () => {
  node = await startAnvil();
  [slowProxy, fastProxy] = await Promise.all([startFaultProxy(node.url), startFaultProxy(node.url)]);
  diagnostics.subscribe(hedgeChannel.name, onHedge);
  diagnostics.subscribe(upstreamAttemptChannel.name, onAttempt);
});

afterEach(async () => {
  events.length = 0;
  attempts.length = 0;
  await Promise.all(created.splice(0).map((upstream) => upstream.destroy()));
  for (const proxy of [slowProxy, fastProxy]) {
    proxy.setFault(null);
    proxy.resetStats();
  }
});

afterAll(async () => {
  diagnostics.unsubscribe(hedgeChannel.name, onHedge);
  diagnostics.unsubscribe(upstreamAttemptChannel.name, onAttempt);
  await Promise.all([slowProxy?.close(), fastProxy?.close()]);
  await node?.stop();
});

function pair(): [Upstream, Upstream] {
  const config: NetworkConfig = networkSchema.parse({
    upstreams: [
      { id: 'slow', url: slowProxy.url },
      { id: 'fast', url: fastProxy.url },
    ],
    failsafe: { breaker: { halfOpenProbes: 1, minRequests: 1, openMs: 60_000 } },
  });
  const list = config.upstreams.map(
    (upstreamConfig, index) => new Upstream(upstreamConfig, index, 'hedge-net', config),
  );
  created.push(...list);
  return list as [Upstream, Upstream];
}

const request = {
  method: 'eth_gasPrice',
  body: '{"jsonrpc":"2.0","id":1,"method":"eth_gasPrice","params":[]}',
};

describe('hedgeDelay', () => {
  it('waits maxDelayMs while the upstream has too few samples', () => {
    const [slow] = pair();
    expect(hedgeDelay(slow, 20, 300)).toBe(300);
  });

  it('uses the latency quantile, clamped to [minDelayMs, maxDelayMs]', () => {
    const [slow, fast] = pair();
    for (let i = 0; i < 50; i++) slow.latency.record(120);
    for (let i = 0; i < 50; i++) fast.latency.record(1);
    expect(hedgeDelay(slow, 20, 300)).toBe(120);
    expect(hedgeDelay(slow, 20, 100)).toBe(100);
    expect(hedgeDelay(fast, 20, 100)).toBe(20);
  });
});

describe('runHedged', () => {
  it('starts a second attempt when the first is slow; the fast one wins and the loser is cancelled', async () => {
    const [slow, fast] = pair();
    slowProxy.setFault({ kind: 'latency', ms: 1000 });
    let picked = 0;
    const result = await runHedged(slow, request, {
      minDelayMs: 10,
      maxDelayMs: 50,
      timeoutMs: 5000,
      pickSecond: () => {
        picked++;
        return fast;
      },
    });
    expect(result.ok).toBe(true);
    expect(result.upstream).toBe(fast);
    expect(picked).toBe(1);
    // Both count against the upstream the hedge went to (the winner), not the slow first one.
    expect(events.map((event) => [event.phase, event.upstream])).toEqual([
      ['started', 'fast'],
      ['won', 'fast'],
    ]);
    expect(fastProxy.stats.forwarded).toBe(1);
    // The loser is aborted (it settles a moment later) and does not count as a failure.
    const loserSettled = () => slow.inflight === 0 && attempts.some((event) => event.upstream === 'slow');
    for (let i = 0; i < 400 && !loserSettled(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(slow.inflight).toBe(0);
    expect(attempts).toContainEqual(expect.objectContaining({ upstream: 'slow', outcome: 'cancelled' }));
    expect(attempts).toContainEqual(
      expect.objectContaining({ upstream: 'fast', outcome: 'ok', hedge: true }),
    );
    expect(slow.breaker.state).toBe('closed');
  });

  it('does not hedge when the first answers before the delay', async () => {
    const [slow, fast] = pair();
    let picked = 0;
    const result = await runHedged(slow, request, {
      minDelayMs: 2000,
      maxDelayMs: 2000,
      timeoutMs: 5000,
      pickSecond: () => {
        picked++;
        return fast;
      },
    });
    expect(result.ok && result.upstream).toBe(slow);
    expect(picked).toBe(0);
    expect(events).toEqual([]);
    expect(fastProxy.stats.requests).toBe(0);
  });

  it('does not hedge when the delay would reach the attempt timeout', async () => {
    const [slow, fast] = pair();
    slowProxy.setFault({ kind: 'latency', ms: 200 });
    let picked = 0;
    const result = await runHedged(slow, request, {
      minDelayMs: 10,
      maxDelayMs: 5000,
      timeoutMs: 5000,
      pickSecond: () => {
        picked++;
        return fast;
      },
    });
    expect(result.ok && result.upstream).toBe(slow);
    expect(picked).toBe(0);
  });

  it('keeps waiting for the first attempt when there is no second upstream', async () => {
    const [slow] = pair();
    slowProxy.setFault({ kind: 'latency', ms: 200 });
    const result = await runHedged(slow, request, {
      minDelayMs: 10,
      maxDelayMs: 20,
      timeoutMs: 5000,
      pickSecond: () => undefined,
    });
    expect(result.ok && result.upstream).toBe(slow);
    expect(events).toEqual([]);
  });

  it('returns the first success even when the hedge fails, and a failure only when both fail', async () => {
    const [slow, fast] = pair();
    slowProxy.setFault({ kind: 'latency', ms: 300 });
    fastProxy.setFault({ kind: 'status', status: 503 });
    const options = { minDelayMs: 10, maxDelayMs: 30, timeoutMs: 5000, pickSecond: () => fast };
    const won = await runHedged(slow, request, options);
    expect(won.ok && won.upstream).toBe(slow);
    expect(fast.breaker.state).toBe('open');

    const [slow2, fast2] = pair();
    slowProxy.setFault({ kind: 'status', status: 500 });
    fastProxy.setFault({ kind: 'status', status: 503 });
    // The first fails before the hedge delay: no hedge, the failure comes back for a retry.
    const failed = await runHedged(slow2, request, { ...options, maxDelayMs: 2000, minDelayMs: 2000 });
    expect(failed.ok).toBe(false);
    expect(fastProxy.stats.requests).toBe(1);
    expect(fast2.inflight).toBe(0);
  });
});
