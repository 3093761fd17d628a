/**
 * A flapping upstream, once healthy again, must earn back its share of traffic: failures rank
 * it down at once, but that penalty decays and successes shed it (failsafe/latency-tracker.ts).
 * Without that, ranking kept it at a trickle for as long as the gateway ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { runLoad, sleep, startTestGateway, type TestGateway } from './failover-support.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';

let node: AnvilNode;
let flapping: FaultProxy;
let steady: FaultProxy;
let gw: TestGateway;

beforeAll(async () => {
  node = await startAnvil();
  [flapping, steady] = await Promise.all([startFaultProxy(node.url), startFaultProxy(node.url)]);
  gw = await startTestGateway(
    [
      { id: 'flapping', url: flapping.url },
      { id: 'steady', url: steady.url },
    ],
    {
      failsafe: {
        retry: { maxAttempts: 3 },
        breaker: { failureRate: 0.5, minRequests: 5, windowMs: 2_000, openMs: 50, halfOpenProbes: 2 },
      },
      // No idle probes within the test: recovery must come from ranking, not from probing.
      health: { probeIntervalMs: 60_000 },
    },
  );
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([flapping?.close(), steady?.close()]);
  await node?.stop();
});

describe('recovery', () => {
  it('a recovered upstream gets a fair share of traffic again', async () => {
    for (const kind of ['status', 'reset'] as const) {
      flapping.setFault(kind === 'status' ? { kind, status: 503 } : { kind });
      // Long enough for many half-open trials to fail, each one ranking the upstream down again.
      for (let burst = 0; burst < 10; burst++) {
        const failing = await runLoad({ url: gw.url, client: gw.client, total: 200, concurrency: 8 });
        expect(failing.errors).toEqual([]);
        await sleep(60);
      }
      flapping.setFault(null);
      await sleep(300);
    }
    // Healthy again: within a bounded number of rounds its share must come back to fair.
    let share = 0;
    for (let round = 0; round < 60 && share < 0.3; round++) {
      const window = await runLoad({ url: gw.url, client: gw.client, total: 200, concurrency: 4 });
      expect(window.errors).toEqual([]);
      share = (window.byUpstream.get('flapping') ?? 0) / 200;
      if (share < 0.3) await sleep(250);
    }
    expect(share).toBeGreaterThanOrEqual(0.3);
  });
});
