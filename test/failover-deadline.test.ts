/**
 * The total deadline: when every upstream hangs, the client gets a 504 timeout error instead of
 * waiting forever, and no attempt timer outlives its request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import {
  activeTimeouts,
  metricsText,
  metricValue,
  runLoad,
  sleep,
  startTestGateway,
  type TestGateway,
  waitFor,
} from './failover-support.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';

let node: AnvilNode;
let a: FaultProxy;
let b: FaultProxy;
let gw: TestGateway;

beforeAll(async () => {
  node = await startAnvil();
  [a, b] = await Promise.all([startFaultProxy(node.url), startFaultProxy(node.url)]);
  gw = await startTestGateway(
    [
      { id: 'a', url: a.url },
      { id: 'b', url: b.url },
    ],
    {
      failsafe: {
        attemptTimeoutMs: 600,
        deadlineMs: 1_500,
        retry: { maxAttempts: 5 },
        // Keep the breakers out of it: this is about timeouts, not about ERR_NO_UPSTREAM.
        breaker: { minRequests: 10_000, consecutiveFailures: 10_000 },
      },
      health: { probeIntervalMs: 60_000 },
    },
  );
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([a?.close(), b?.close()]);
  await node?.stop();
});

const TIMEOUT_CODES = ['ERR_DEADLINE_EXCEEDED', 'ERR_UPSTREAM_TIMEOUT'];

describe('deadline', () => {
  it('answers 504 with a timeout error when every upstream hangs, and leaves no timers behind', async () => {
    // Warm up: connections, keep-alive timers and lazily created resources exist before we count.
    const warm = await runLoad({ url: gw.url, client: gw.client, total: 20, concurrency: 4 });
    expect(warm.errors).toEqual([]);
    await sleep(50);
    const timersBefore = activeTimeouts();

    a.setFault({ kind: 'hang' });
    b.setFault({ kind: 'hang' });
    let result: Awaited<ReturnType<typeof runLoad>>;
    let timersDuring: number;
    try {
      const running = runLoad({ url: gw.url, client: gw.client, total: 8, concurrency: 4 });
      // While requests hang, their attempt timers are visible to the count (so the check below
      // means something). Wait until four attempts really hang rather than for a fixed time.
      await waitFor('four hung attempts', () => a.stats.faulted + b.stats.faulted >= 4);
      timersDuring = activeTimeouts();
      result = await running;
    } finally {
      a.setFault(null);
      b.setFault(null);
    }
    // Four hung attempts hold four timers; allow one unrelated timer to have expired meanwhile.
    expect(timersDuring).toBeGreaterThanOrEqual(timersBefore + 3);

    expect(result.errors).toHaveLength(8);
    for (const outcome of result.errors) {
      expect(outcome.status).toBe(504);
      const body = JSON.parse(outcome.error!.slice(outcome.error!.indexOf('{'))) as {
        id: number;
        error: { code: number; data: { code: string } };
      };
      expect(body.id).toBe(outcome.index);
      expect(body.error.code).toBe(-32603);
      expect(TIMEOUT_CODES).toContain(body.error.data.code);
    }
    // Retries went to both upstreams before the deadline ran out.
    expect(a.stats.faulted).toBeGreaterThan(0);
    expect(b.stats.faulted).toBeGreaterThan(0);
    const metrics = await metricsText(gw.baseUrl);
    expect(
      metricValue(metrics, 'turnpike_upstream_attempts_total', { outcome: 'ERR_UPSTREAM_TIMEOUT' }),
    ).toBeGreaterThanOrEqual(16);

    // Every attempt timer was cleared: no growth of active Timeout handles (small slack for
    // unrelated timers of the HTTP machinery).
    await sleep(50);
    expect(activeTimeouts()).toBeLessThanOrEqual(timersBefore + 2);
    for (const upstream of gw.gateway.networks.get('anvil')!.upstreams) expect(upstream.inflight).toBe(0);

    // And the gateway serves normally again.
    const after = await runLoad({ url: gw.url, client: gw.client, total: 20, concurrency: 4 });
    expect(after.errors).toEqual([]);
    // Successful attempts clear their timers too (they would otherwise stay for attemptTimeoutMs).
    expect(activeTimeouts()).toBeLessThanOrEqual(timersBefore + 2);
  });

  it('a single hung upstream is hidden by a retry on the other', async () => {
    a.setFault({ kind: 'hang' });
    try {
      const result = await runLoad({ url: gw.url, client: gw.client, total: 20, concurrency: 4 });
      expect(result.errors).toEqual([]);
      expect(result.byUpstream.get('b')).toBe(20);
    } finally {
      a.setFault(null);
    }
  });
});
