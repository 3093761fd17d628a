/**
 * Up/down sharing between two "workers" in one process: each has its own Upstream (own pool and
 * breaker) for the same real node behind a fault proxy, and the relay below stands in for the
 * cluster primary (test/cluster.test.ts runs the real one).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../test/support/fault-proxy.js';
import { type NetworkConfig, networkSchema } from '../config/schema.js';
import { type AnvilNode, startAnvil } from '../dev/anvil.js';
import { HealthMonitor, type ProbeReport } from './health.js';
import { Upstream } from './upstream.js';

let node: AnvilNode;
let proxy: FaultProxy;
const monitors: HealthMonitor[] = [];
const upstreams: Upstream[] = [];

beforeAll(async () => {
  node = await startAnvil();
});

afterEach(async () => {
  for (const monitor of monitors.splice(0)) monitor.stop();
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.destroy()));
  await proxy?.close();
});

afterAll(async () => {
  await node?.stop();
});

const quiet = { warn: () => undefined, info: () => undefined };

/** Two workers, the first one probing; every report is relayed to the other, as the primary does. */
function cluster(config: NetworkConfig) {
  const sent: { from: number; report: ProbeReport }[] = [];
  const workers = [0, 1].map((index) => {
    const upstream = new Upstream(config.upstreams[0]!, 0, 'test', config);
    upstreams.push(upstream);
    const monitor = new HealthMonitor('test', [upstream], config.health, 31337, quiet, 2_000, {
      probes: index === 0,
      publish: (id, report) => {
        sent.push({ from: index, report });
        workers[1 - index]!.monitor.apply(id, report);
      },
    });
    monitors.push(monitor);
    return { upstream, monitor };
  });
  return { workers, sent, healthReports: () => sent.filter(({ report }) => report.health !== undefined) };
}

function config(overrides: { openMs?: number; probeIntervalMs?: number } = {}): NetworkConfig {
  return networkSchema.parse({
    upstreams: [{ id: 'node', url: proxy.url }],
    health: { checkChainId: false, probeIntervalMs: overrides.probeIntervalMs ?? 200 },
    failsafe: { breaker: { openMs: overrides.openMs ?? 300 } },
  });
}

describe('shared upstream health', () => {
  it('an idle worker learns that the upstream died and that it came back, one message each way', async () => {
    proxy = await startFaultProxy(node.url);
    const { workers, healthReports } = cluster(config());
    const [prober, idle] = workers as [(typeof workers)[0], (typeof workers)[0]];
    prober.monitor.start();
    idle.monitor.start();
    await prober.monitor.tick(Number.POSITIVE_INFINITY);

    await proxy.pause();
    // The idle worker sends nothing upstream: only the report can change its view.
    await expect.poll(() => idle.upstream.isAvailable(), { timeout: 5_000 }).toBe(false);
    expect(prober.upstream.isAvailable()).toBe(false);
    expect(healthReports()).toEqual([{ from: 0, report: { health: { down: true, reason: 'refused' } } }]);
    expect(idle.upstream.lastFailure).toBe('refused');

    await proxy.resume();
    await expect.poll(() => idle.upstream.isAvailable(), { timeout: 5_000 }).toBe(true);
    expect(idle.upstream.breaker.state).toBe('closed');
    expect(prober.upstream.breaker.state).toBe('closed');
    expect(healthReports().map(({ from, report }) => [from, report.health?.down])).toEqual([
      [0, true],
      [0, false],
    ]);
  });

  it('a worker whose traffic fails reports it; the idle prober confirms recovery; no flapping meanwhile', async () => {
    proxy = await startFaultProxy(node.url);
    const { workers, healthReports } = cluster(config({ openMs: 100 }));
    const [prober, busy] = workers as [(typeof workers)[0], (typeof workers)[0]];
    prober.monitor.start();
    proxy.setFault({ kind: 'status', status: 503 });
    // The busy worker's own requests fail until its breaker opens (consecutiveFailures: 5).
    busy.upstream.lastFailure = 'http_status';
    for (let i = 0; i < 5; i++) busy.upstream.breaker.recordFailure();
    expect(busy.upstream.breaker.state).toBe('open');
    expect(prober.upstream.breaker.state).toBe('open');
    expect(healthReports()).toEqual([{ from: 1, report: { health: { down: true, reason: 'http_status' } } }]);

    // While the node still fails, the prober's trials keep it open and the busy worker holds it
    // open (no half-open of its own after openMs, so never shown available): nothing more is sent.
    await expect.poll(() => proxy.stats.requests, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(busy.upstream.breaker.state).toBe('open');
    expect(healthReports()).toHaveLength(1);

    proxy.setFault(null);
    await expect.poll(() => busy.upstream.breaker.state, { timeout: 5_000 }).toBe('closed');
    expect(healthReports().map(({ from, report }) => [from, report.health?.down])).toEqual([
      [1, true],
      [0, false],
    ]);
  });
});
