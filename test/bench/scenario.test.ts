import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromArtillery, isArtilleryScript } from '../../src/bench/artillery-import.js';
import { loadScenarioFile, parseScenarioText, validateScenario } from '../../src/bench/load-scenario.js';
import { parseDurationSeconds } from '../../src/bench/scenario-schema.js';
import { evaluateThreshold, parseThreshold, type ThresholdSource } from '../../src/bench/thresholds.js';

const minimal = {
  target: 'http://127.0.0.1:4000/local',
  phases: [{ name: 'sustain', duration: '2s', rate: 100 }],
  requests: [{ rpc: { method: 'eth_blockNumber' } }],
};

describe('scenario file', () => {
  it('fills defaults and parses durations', () => {
    const result = validateScenario(minimal);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.scenario.phases[0]?.duration).toBe(2);
    expect(result.scenario.connections).toBe(64);
    expect(result.scenario.inflight.policy).toBe('queue');
    expect(result.scenario.metrics).toEqual({ url: '/metrics', interval: 1 });
    expect(parseDurationSeconds('500ms')).toBe(0.5);
    expect(parseDurationSeconds('2m')).toBe(120);
    expect(parseDurationSeconds('soon')).toBeUndefined();
  });

  it('names every mistake by its YAML path', () => {
    const result = parseScenarioText(`
target: not-a-url
phases:
  - { name: ramp, duration: 10s, from: 10 }
  - { name: ramp, duration: forever, rate: 5 }
requests:
  - { rpc: { method: eth_call }, http: { method: GET } }
  - { http: { method: GET }, expect: { json: { "result": 1 } } }
thresholds: ["ramp.p99 < 50ms", "nosuch.p99 < 1ms", "p99 < fast"]
bogus: 1
`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['target', 'phases[0]', 'phases[1].duration', 'requests[0]', '(root)']),
    );
    expect(result.issues.find((i) => i.path === '(root)')?.message).toContain('bogus');
    expect(paths.some((p) => p.startsWith('requests[1].expect.json'))).toBe(true);
  });

  it('reports threshold mistakes with their index once the rest is valid', () => {
    const result = validateScenario({
      ...minimal,
      thresholds: ['sustain.p99 < 50ms', 'nosuch.p99 < 1ms', 'p99 < fast'],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual(['thresholds[1]', 'thresholds[2]']);
    expect(result.issues[0]?.message).toContain('no phase named "nosuch"');
  });

  it('reads a simple Artillery script', () => {
    const text = `
config:
  target: "http://127.0.0.1:8545"
  phases:
    - { duration: 5, arrivalRate: 10, name: "warm up" }
    - { duration: 20, arrivalRate: 10, rampTo: 50 }
  defaults:
    headers: { x-api-key: secret }
  ensure: { p99: 200, maxErrorRate: 1 }
scenarios:
  - weight: 3
    flow:
      - post: { url: "/", json: { jsonrpc: "2.0", id: 1, method: eth_blockNumber } }
  - flow:
      - get: { url: "/healthz" }
      - get: { url: "/readyz" }
`;
    const result = parseScenarioText(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.format).toBe('artillery');
    const s = result.scenario;
    expect(s.phases).toMatchObject([
      { name: 'warm-up', duration: 5, rate: 10 },
      { name: 'phase-2', duration: 20, from: 10, to: 50 },
    ]);
    expect(s.requests.map((r) => [r.path, r.weight, r.http?.method])).toEqual([
      ['/', 3, 'POST'],
      ['/healthz', 0.5, 'GET'],
      ['/readyz', 0.5, 'GET'],
    ]);
    expect(s.headers).toEqual({ 'x-api-key': 'secret' });
    expect(s.thresholds).toEqual(['p99 < 200ms', 'errors <= 1%']);
  });

  it('names unsupported Artillery features by path', () => {
    const raw = {
      config: { target: 'http://x', phases: [{ duration: 5, arrivalCount: 10 }] },
      scenarios: [{ flow: [{ think: 1 }] }],
    };
    expect(isArtilleryScript(raw)).toBe(true);
    const result = fromArtillery(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual([
      'config.phases[0].arrivalCount',
      'config.phases[0].arrivalRate',
      'scenarios[0].flow[0]',
    ]);
  });
});

describe('examples/bench', () => {
  const dir = new URL('../../examples/bench/', import.meta.url);
  const files = readdirSync(dir).filter((name) => name.endsWith('.yaml'));
  it.each(files)('%s is a valid scenario', async (name) => {
    const result = await loadScenarioFile(new URL(name, dir).pathname, {});
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});

describe('thresholds', () => {
  const phases = ['warmup', 'sustain'];
  const source: ThresholdSource = {
    latency: (phase, latency, stat) =>
      stat === 'max' ? 100 : latency === 'service' ? 2 : phase === 'sustain' ? 40 : 60,
    counts: () => ({ scheduled: 10_000, errors: 5, dropped: 0 }),
    rates: () => ({ achieved: 4900, target: 5000 }),
  };
  const check = (rule: string) => {
    const parsed = parseThreshold(rule, phases);
    if (!parsed.ok) throw new Error(parsed.message);
    return evaluateThreshold(parsed.threshold, source);
  };

  it('evaluates latency, error, dropped and achieved rules', () => {
    expect(check('sustain.p99 < 50ms')).toMatchObject({ pass: true, actual: 40, limit: 50 });
    expect(check('p99 < 0.05s')).toMatchObject({ pass: false, actual: 60 });
    expect(check('sustain.service.p99.9 <= 2000us').pass).toBe(true);
    expect(check('max < 50ms').pass).toBe(false);
    expect(check('errors < 0.1%')).toMatchObject({ pass: true, actual: 0.0005 });
    expect(check('errors == 0').pass).toBe(false);
    expect(check('dropped == 0').pass).toBe(true);
    expect(check('achieved >= 0.97 * target')).toMatchObject({ pass: true, limit: 4850 });
    expect(check('achieved >= 0.99 * target').pass).toBe(false);
    expect(check('achieved > 4000').pass).toBe(true);
  });

  it('refuses what it cannot read', () => {
    expect(parseThreshold('p99 < soon', phases).ok).toBe(false);
    expect(parseThreshold('service.errors < 1%', phases).ok).toBe(false);
    expect(parseThreshold('latency is fine', phases).ok).toBe(false);
  });
});
