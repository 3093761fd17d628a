import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { requestEndChannel, stagesChannel } from '../events/channels.js';
import { METRIC } from './names.js';
import { createMetrics, type GatewayMetrics } from './registry.js';

let metrics: GatewayMetrics | undefined;
afterEach(() => metrics?.close());

describe('createMetrics', () => {
  it('holds the process, request-path and event-loop metrics, and what modules register', async () => {
    const owner = {};
    metrics = createMetrics({ workerLabel: '3', readInflight: () => 7, owners: [owner] });
    metrics.register((registry) => {
      new Counter({ name: 'turnpike_test_module_total', help: 'A module metric.', registers: [registry] });
    });
    const text = await metrics.registry.metrics();
    for (const name of [
      'process_cpu_user_seconds_total',
      METRIC.requests,
      METRIC.eventLoopDelay,
      'turnpike_test_module_total',
    ])
      expect(text).toContain(`# TYPE ${name} `);
    expect(text).toContain(`${METRIC.inflightRequests} 7`);
    expect(text).toContain(`${METRIC.eventLoopUtilization}{worker="3"}`);
  });

  it('counts the request events of its own owners only, until closed', async () => {
    const owner = {};
    metrics = createMetrics({ workerLabel: '0', readInflight: () => 0, owners: [owner] });
    const event = { network: 'eth', method: 'eth_chainId', outcome: 'ok', durationMs: 1 };
    requestEndChannel.publish({ ...event, owner });
    requestEndChannel.publish({ ...event, owner: {} });
    metrics.close();
    requestEndChannel.publish({ ...event, owner });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`${METRIC.requests}{network="eth",method="eth_chainId",status="ok"} 1\n`);
    metrics = undefined;
  });

  it('observes each stage that ran in the stage histogram, per network', async () => {
    const owner = {};
    metrics = createMetrics({ workerLabel: '0', readInflight: () => 0, owners: [owner] });
    const proxied = {
      readMs: 0.02,
      parseMs: 0.01,
      authMs: undefined,
      cacheMs: 0.5,
      selectMs: 0.003,
      upstreamMs: 4,
    };
    stagesChannel.publish({ owner, network: 'eth', timing: { ...proxied, knownHit: false }, totalMs: 5 });
    // A known-shape hit: read and cache only (no parse, select or upstream stage ran).
    stagesChannel.publish({ owner, network: 'eth', timing: { ...proxied, knownHit: true }, totalMs: 1 });
    stagesChannel.publish({ owner: {}, network: 'eth', timing: { ...proxied, knownHit: false }, totalMs: 5 });
    const text = await metrics.registry.metrics();
    const count = (stage: string) =>
      new RegExp(`${METRIC.stageDuration}_count\\{network="eth",stage="${stage}"\\} (\\d+)`).exec(text)?.[1];
    expect([count('read'), count('cache'), count('total')]).toEqual(['2', '2', '2']);
    expect([count('parse'), count('select'), count('upstream')]).toEqual(['1', '1', '1']);
    expect(count('auth')).toBe('0');
    expect(text).toContain(`${METRIC.stageDuration}_sum{network="eth",stage="upstream"} 0.004\n`);
    expect(text).toContain(`${METRIC.stageDuration}_bucket{network="eth",stage="upstream",le="0.005"} 1\n`);
  });
});
