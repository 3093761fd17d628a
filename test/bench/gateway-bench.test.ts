/** `turnpike bench` against a real gateway in front of anvil: Server-Timing and /metrics are read. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/bench/load-scenario.js';
import { runBench } from '../../src/bench/run-bench.js';
import { type GatewayFixture, startGatewayFixture } from '../support/gateway-fixture.js';

let fixture: GatewayFixture;

beforeAll(async () => {
  fixture = await startGatewayFixture();
});

afterAll(async () => {
  await fixture?.close();
});

describe('turnpike bench against the gateway', () => {
  it('reads the gateway stages and metrics into the report and the verdict', async () => {
    const checked = validateScenario({
      target: fixture.url,
      connections: 8,
      metrics: { url: '/metrics', interval: '500ms' },
      phases: [
        { name: 'warmup', duration: 1, rate: 50 },
        { name: 'sustain', duration: 2, rate: 100 },
      ],
      requests: [
        { weight: 3, rpc: { method: 'eth_chainId' } },
        {
          weight: 1,
          rpc: { method: 'eth_getBalance', params: ['0x0000000000000000000000000000000000000000', 'latest'] },
        },
        { weight: 1, name: 'nosuch', rpc: { method: 'eth_noSuchMethod' } },
      ],
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
    const report = await runBench({ scenario: checked.scenario });

    const stages = report.serverTiming.sustain ?? {};
    expect(Object.keys(stages)).toEqual(
      expect.arrayContaining(['read', 'parse', 'select', 'upstream', 'total']),
    );
    expect(stages.total!.count).toBeGreaterThan(100);
    // The upstream's JSON-RPC error is counted by its code, per kind.
    const nosuch = report.kinds.find((k) => k.name === 'nosuch')!;
    expect(Object.keys(nosuch.errorsByKind)).toEqual([expect.stringMatching(/^rpc_-32\d+$/)]);
    expect(report.kinds.find((k) => k.name === 'eth_chainId')!.errors).toBe(0);
    // Scrapes before, during and after, with the gateway's own signals.
    const samples = report.server!.samples.filter((s) => s.error === undefined);
    expect(samples.length).toBeGreaterThanOrEqual(4);
    expect(samples[0]!.at).toBeLessThan(0);
    expect(Object.keys(samples[1]!.elu).length).toBeGreaterThan(0);
    expect(samples.at(-1)!.requests).toBeGreaterThan(samples[0]!.requests ?? 0);
    expect(samples.some((s) => s.inflight !== undefined && s.upstreamInflight !== undefined)).toBe(true);
    expect(report.server!.measured.requests).toBeGreaterThan(100);
    expect(Object.keys(report.server!.measured.eluMaxByWorker).length).toBeGreaterThan(0);
    // 20 % of requests fail by design: the verdict says errors dominate (or the run is invalid).
    expect(['errors', 'generator-bound']).toContain(report.verdict.bottleneck);
    expect(report.littlesLaw.serverInflight).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
