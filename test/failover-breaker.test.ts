/**
 * A failing upstream: its breaker opens, retries on the healthy one hide every failure from
 * clients; and when every breaker is open the gateway says so at once (503 ERR_NO_UPSTREAM).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import {
  metricsText,
  metricValue,
  readyz,
  runLoad,
  startTestGateway,
  type TestGateway,
  upstreamState,
} from './failover-support.js';
import { type Fault, type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { rpc } from './support/rpc.js';

let node: AnvilNode;
let failing: FaultProxy;
let healthy: FaultProxy;
let gw: TestGateway | undefined;

beforeAll(async () => {
  node = await startAnvil();
  [failing, healthy] = await Promise.all([startFaultProxy(node.url), startFaultProxy(node.url)]);
});

afterEach(async () => {
  await gw?.close();
  gw = undefined;
  for (const proxy of [failing, healthy]) {
    proxy.setFault(null);
    proxy.resetStats();
  }
});

afterAll(async () => {
  await Promise.all([failing?.close(), healthy?.close()]);
  await node?.stop();
});

const FAULTS: [string, Fault][] = [
  ['HTTP 503', { kind: 'status', status: 503, body: 'Service Unavailable' }],
  ['garbage', { kind: 'garbage' }],
  ['connection reset', { kind: 'reset' }],
  ['HTTP 429', { kind: 'status', status: 429, body: 'Too Many Requests' }],
  ['rpc error -32005 "limit exceeded"', { kind: 'rpc-error', code: -32005, message: 'limit exceeded' }],
];

describe('a failing upstream', () => {
  it.each(FAULTS)(
    '%s: breaker opens, retries hide it — zero client errors in 2,000 requests',
    async (_name, fault) => {
      gw = await startTestGateway(
        [
          { id: 'failing', url: failing.url },
          { id: 'healthy', url: healthy.url },
        ],
        {
          failsafe: {
            attemptTimeoutMs: 5_000,
            deadlineMs: 15_000,
            retry: { maxAttempts: 3 },
            // openMs outlasts the run, so "open" at the end is not a race with half-open.
            breaker: { failureRate: 0.5, minRequests: 10, windowMs: 10_000, openMs: 120_000 },
          },
          health: { probeIntervalMs: 1_000 },
        },
      );
      // The node starts failing after the gateway checked it at start-up.
      failing.setFault(fault);
      failing.resetStats();
      healthy.resetStats();

      const result = await runLoad({ url: gw.url, client: gw.client, total: 2_000, concurrency: 16 });

      expect(result.outcomes).toHaveLength(2_000);
      expect(result.errors.slice(0, 5)).toEqual([]);
      expect(result.byUpstream.get('failing') ?? 0).toBe(0);
      expect(result.byUpstream.get('healthy')).toBe(2_000);

      const state = await upstreamState(gw.baseUrl, 'failing');
      expect(state.breaker).toBe('open');
      expect(state.available).toBe(false);
      expect((await upstreamState(gw.baseUrl, 'healthy')).breaker).toBe('closed');
      const metrics = await metricsText(gw.baseUrl);
      expect(metricValue(metrics, 'turnpike_upstream_breaker_state', { upstream: 'failing' })).toBe(2);
      expect(
        metricValue(metrics, 'turnpike_breaker_transitions_total', { upstream: 'failing', state: 'open' }),
      ).toBe(1);
      // Retries hid the failures until the breaker opened. With resets, the health probes that
      // follow each broken connection may open it after only a few requests.
      // Each counts against the upstream retried away from: the failing one, never the healthy one.
      expect(metricValue(metrics, 'turnpike_retries_total', { upstream: 'failing' })).toBeGreaterThanOrEqual(
        1,
      );
      expect(metricValue(metrics, 'turnpike_retries_total', { upstream: 'healthy' })).toBe(0);

      // Once open, the failing node stopped getting traffic. How many faults it took varies: the
      // probes that follow each broken connection can open the breaker before minRequests.
      expect(failing.stats.faulted).toBeGreaterThanOrEqual(1);
      expect(failing.stats.requests).toBeLessThan(healthy.stats.requests / 10);
    },
  );

  it('half-opens after openMs and closes again once the node recovers', async () => {
    gw = await startTestGateway(
      [
        // The weight makes it the first choice whenever its breaker lets it be chosen.
        { id: 'failing', url: failing.url, weight: 1_000 },
        { id: 'healthy', url: healthy.url },
      ],
      {
        failsafe: {
          retry: { maxAttempts: 3 },
          breaker: { failureRate: 0.5, minRequests: 5, windowMs: 10_000, openMs: 300, halfOpenProbes: 2 },
        },
        health: { probeIntervalMs: 100 },
      },
    );
    failing.setFault({ kind: 'status', status: 503 });
    const first = await runLoad({ url: gw.url, client: gw.client, total: 50, concurrency: 4 });
    expect(first.errors).toEqual([]);
    const metrics = await metricsText(gw.baseUrl);
    expect(
      metricValue(metrics, 'turnpike_breaker_transitions_total', { upstream: 'failing', state: 'open' }),
    ).toBeGreaterThanOrEqual(1);

    failing.setFault(null);
    failing.resetStats();
    // Probes (and real requests) during half-open succeed: the breaker closes and traffic returns.
    let closedAgain = false;
    for (let round = 0; round < 200 && !closedAgain; round++) {
      const more = await runLoad({ url: gw.url, client: gw.client, total: 20, concurrency: 2 });
      expect(more.errors).toEqual([]);
      closedAgain = (await upstreamState(gw.baseUrl, 'failing')).breaker === 'closed';
    }
    expect(closedAgain).toBe(true);
    const transitions = await metricsText(gw.baseUrl);
    for (const state of ['half-open', 'closed']) {
      expect(
        metricValue(transitions, 'turnpike_breaker_transitions_total', { upstream: 'failing', state }),
      ).toBeGreaterThanOrEqual(1);
    }
    const after = await runLoad({ url: gw.url, client: gw.client, total: 200, concurrency: 4 });
    expect(after.errors).toEqual([]);
    expect(after.byUpstream.get('failing') ?? 0).toBeGreaterThan(0);
  });
});

describe('no upstream available', () => {
  it('answers HTTP 503 ERR_NO_UPSTREAM with a JSON-RPC error once every breaker is open', async () => {
    gw = await startTestGateway(
      [
        { id: 'a', url: failing.url },
        { id: 'b', url: healthy.url },
      ],
      {
        failsafe: {
          retry: { maxAttempts: 2 },
          breaker: { failureRate: 0.5, minRequests: 4, windowMs: 30_000, openMs: 120_000 },
        },
      },
    );
    failing.setFault({ kind: 'status', status: 503 });
    healthy.setFault({ kind: 'status', status: 502 });

    // While the breakers are still closed, clients see the upstream failure.
    const early = await rpc(gw.url, 'eth_gasPrice', [], { id: 1 });
    expect(early.status).toBe(502);
    expect(early.body).toMatchObject({ id: 1, error: { data: { code: 'ERR_UPSTREAM_HTTP_STATUS' } } });

    let res = early;
    for (let id = 2; id < 50 && res.status !== 503; id++) res = await rpc(gw.url, 'eth_gasPrice', [], { id });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32603, data: { code: 'ERR_NO_UPSTREAM' } },
    });
    expect(typeof (res.body as { id: unknown }).id).toBe('number');

    // From now on the upstreams are not even asked.
    const before = failing.stats.requests + healthy.stats.requests;
    for (let id = 100; id < 110; id++) {
      const again = await rpc(
        gw.url,
        'eth_getBalance',
        ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'latest'],
        { id },
      );
      expect(again.status).toBe(503);
      expect(again.body).toMatchObject({ id, error: { data: { code: 'ERR_NO_UPSTREAM' } } });
    }
    expect(failing.stats.requests + healthy.stats.requests).toBe(before);

    const ready = await readyz(gw.baseUrl);
    expect(ready.status).toBe(503);
    expect(ready.upstreams.map((upstream) => upstream.breaker)).toEqual(['open', 'open']);
  });
});
