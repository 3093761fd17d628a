import { describe, expect, it } from 'vitest';
import { newHistogram, recordMs, summarizeHistogram } from '../../src/bench/histogram.js';
import { findKnee } from '../../src/bench/knee.js';
import type { ServerSample } from '../../src/bench/metrics-scraper.js';
import { extractSignals, summarizeSamples } from '../../src/bench/metrics-scraper.js';
import { parsePrometheusText } from '../../src/bench/prometheus-text.js';
import type { PhaseReport, SecondReport } from '../../src/bench/report-schema.js';
import { selfCheck } from '../../src/bench/self-check.js';
import { readServerTiming } from '../../src/bench/server-timing-header.js';
import { decideVerdict, GATEWAY_LOOP_LIMITS, type VerdictInput } from '../../src/bench/verdict.js';

const latency = (...values: number[]) => {
  const h = newHistogram();
  for (const v of values) recordMs(h, v);
  return h;
};

function phase(overrides: Partial<PhaseReport> = {}): PhaseReport {
  const l = summarizeHistogram(latency(2, 2, 3));
  return {
    name: 'sustain',
    start: 0,
    duration: 10,
    targetRps: 1000,
    from: 1000,
    to: 1000,
    scheduled: 10_000,
    ok: 10_000,
    errors: 0,
    dropped: 0,
    errorRate: 0,
    errorsByKind: {},
    achievedRps: 1000,
    corrected: l,
    service: l,
    lag: summarizeHistogram(latency(0.1)),
    ...overrides,
  };
}

function sample(elu: number, extra: Partial<ServerSample> = {}): ServerSample {
  return { ...extractSignals([], 1000), elu: { '1': elu, '2': elu / 2 }, ...extra };
}

function input(overrides: Partial<VerdictInput> = {}): VerdictInput {
  const measured = overrides.measured ?? phase();
  return {
    self: selfCheck([{ worker: 0, elu: 0.3, delayP99Ms: 1, delayMaxMs: 2, abandoned: 0 }], latency(0.1, 0.2)),
    phases: [measured],
    measured,
    measuredPhaseNames: ['sustain'],
    seconds: [],
    samples: [],
    metricsUrl: 'http://127.0.0.1/metrics',
    stageTotal: latency(1.8, 1.9),
    stageUpstream: latency(1.5, 1.6),
    inflightBound: 64,
    ...overrides,
  };
}

describe('verdict rules, in order', () => {
  it('no saturation when the target kept up', () => {
    expect(decideVerdict(input()).bottleneck).toBe('no-saturation');
  });

  it('generator-bound wins over everything and carries the evidence', () => {
    const self = selfCheck(
      [{ worker: 0, elu: 0.97, delayP99Ms: 30, delayMaxMs: 80, abandoned: 0 }],
      latency(12, 15),
    );
    const verdict = decideVerdict(
      input({ self, measured: phase({ errors: 5000, errorsByKind: { timeout: 5000 } }) }),
    );
    expect(verdict.bottleneck).toBe('generator-bound');
    expect(verdict.rules[0]!.evidence.join('\n')).toMatch(/97 % busy/);
    expect(self.valid).toBe(false);
  });

  it('errors dominate before saturation signals', () => {
    const measured = phase({ errors: 300, errorsByKind: { http_503: 250, reset: 50 }, achievedRps: 900 });
    const verdict = decideVerdict(input({ measured, samples: [sample(0.99), sample(0.98)] }));
    expect(verdict.bottleneck).toBe('errors');
    expect(verdict.rules[1]!.evidence[0]).toContain('http_503 250');
  });

  it('a saturated gateway event loop', () => {
    const measured = phase({ achievedRps: 800 });
    expect(
      decideVerdict(input({ measured, samples: [sample(0.95), sample(0.97), sample(0.5)] })).bottleneck,
    ).toBe('gateway-event-loop');
  });

  it('a gateway event loop delayed beyond the bound, though not 90 % busy, with per-worker evidence', () => {
    const measured = phase({ achievedRps: 800 });
    const delayed = (p99: number) =>
      sample(0.6, {
        loopDelay: { '1': { p50: 2, p99, max: p99 * 2 }, '2': { p50: 1, p99: 3, max: 9 } },
      });
    const verdict = decideVerdict(input({ measured, samples: [delayed(120), delayed(80), delayed(4)] }));
    expect(verdict.bottleneck).toBe('gateway-event-loop');
    const evidence = verdict.rules.find((r) => r.rule === 'gateway-event-loop')!.evidence;
    expect(evidence).toContain(
      'gateway worker 1: event loop mean 60.0 %, max 60.0 % busy; delay p99 up to 120.0 ms (> 50 ms in 2), max 240.0 ms over 3 scrapes',
    );
    expect(evidence).toContain(
      'gateway worker 2: event loop mean 30.0 %, max 30.0 % busy; delay p99 up to 3.00 ms (> 50 ms in 0), max 9.00 ms over 3 scrapes',
    );
    expect(evidence.at(-1)).toMatch(/^2 of 3 scrapes had a worker/);
    // With per-worker delay the process-level prom-client figure is left out.
    expect(evidence.join('\n')).not.toContain('prom-client');
  });

  it('a delay under the bound is no event-loop verdict; without per-worker delay prom-client is quoted', () => {
    const measured = phase({ achievedRps: 800 });
    const under = GATEWAY_LOOP_LIMITS.delayP99Ms - 1;
    const samples = [1, 2, 3].map(() =>
      sample(0.6, { loopDelay: { '1': { p50: 2, p99: under, max: 3 * under } } }),
    );
    // The upstream stage dominates this saturated run, so the next rule takes it.
    expect(decideVerdict(input({ measured, samples })).bottleneck).toBe('upstream');

    const old = [sample(0.6, { loopDelayP99Ms: 70 }), sample(0.6, { loopDelayP99Ms: 90 })];
    const rule = decideVerdict(input({ measured, samples: old })).rules.find(
      (r) => r.rule === 'gateway-event-loop',
    )!;
    expect(rule.matched).toBe(false);
    expect(rule.evidence).toContain(
      'gateway event-loop delay p99 up to 90.0 ms (prom-client, not per worker: this gateway exports no per-worker delay)',
    );
  });

  it('upstream-bound when the upstream stage dominates a saturated run, or a queue grows', () => {
    const measured = phase({ achievedRps: 800 });
    expect(decideVerdict(input({ measured, samples: [sample(0.4)] })).bottleneck).toBe('upstream');
    const queue = [sample(0.3, { upstreamQueue: 0 }), sample(0.3, { upstreamQueue: 40 })];
    expect(decideVerdict(input({ samples: queue })).bottleneck).toBe('upstream');
  });

  it('network/kernel when the client sees far more than the gateway spends', () => {
    const slow = summarizeHistogram(latency(12, 14, 15));
    const measured = phase({ service: slow, corrected: slow });
    expect(decideVerdict(input({ measured })).bottleneck).toBe('network');
  });

  it('saturated without an explanation when the signals are missing', () => {
    const measured = phase({ dropped: 10, errors: 10, errorsByKind: { dropped: 10 } });
    const verdict = decideVerdict(input({ measured, stageTotal: undefined, stageUpstream: undefined }));
    expect(verdict.bottleneck).toBe('saturated-unexplained');
  });
});

describe('knee of a ramp', () => {
  const second = (t: number, offered: number, achieved: number, p99 = 3): SecondReport => ({
    t,
    phase: 'ramp',
    offeredRps: offered,
    sentRps: offered,
    achievedRps: achieved,
    errorRps: 0,
    corrected: { p50: 1, p90: 2, p99, max: p99 },
    service: { p50: 1, p99: 2 },
    lagP99: 0.1,
    dispatchLagP99: 0.1,
    inflightMean: 1,
    inflightMax: 2,
  });
  it('is where achieved stops following offered for two seconds', () => {
    const seconds = [0, 1, 2, 3, 4, 5, 6, 7].map((t) =>
      second(t, 1000 * (t + 1), Math.min(1000 * (t + 1), t === 4 ? 4900 : 4200)),
    );
    const knee = findKnee(seconds, [{ name: 'ramp', start: 0, end: 8 }]);
    expect(knee).toMatchObject({ phase: 'ramp', t: 5, offeredRps: 6000, achievedRps: 4200 });
  });
  it('or where corrected p99 leaves its early level', () => {
    const seconds = [0, 1, 2, 3, 4, 5, 6].map((t) =>
      second(t, 1000 * (t + 1), 1000 * (t + 1), t >= 5 ? 80 : 3),
    );
    expect(findKnee(seconds, [{ name: 'ramp', start: 0, end: 7 }])?.t).toBe(5);
    expect(findKnee(seconds.slice(0, 5), [{ name: 'ramp', start: 0, end: 5 }])).toBeUndefined();
  });
});

describe('server signals', () => {
  it('reads Server-Timing stages', () => {
    const stages: [string, number][] = [];
    readServerTiming(
      'read;dur=0.012, parse;dur=0.003, cache;desc="x";dur=0.1, upstream;dur=1.5, total;dur=1.7, miss',
      (n, ms) => stages.push([n, ms]),
    );
    expect(stages).toEqual([
      ['read', 0.012],
      ['parse', 0.003],
      ['cache', 0.1],
      ['upstream', 1.5],
      ['total', 1.7],
    ]);
  });

  it('extracts the gateway metrics the verdict reads', () => {
    const text = `# HELP x
turnpike_event_loop_utilization{worker="1"} 0.93
turnpike_event_loop_utilization{worker="2"} 0.41
turnpike_inflight_requests 12
turnpike_upstream_inflight{network="a",upstream="u1"} 3
turnpike_upstream_inflight{network="a",upstream="u2"} 4
turnpike_requests_total{network="a",method="eth_call",status="ok"} 100
turnpike_requests_total{network="a",method="eth_call",status="ERR_RATE_LIMITED"} 7
turnpike_cache_requests_total{network="a",result="hit"} 30
nodejs_eventloop_lag_p99_seconds 0.004
turnpike_event_loop_delay_seconds{worker="1",quantile="0.5"} 0.0005
turnpike_event_loop_delay_seconds{worker="1",quantile="0.99"} 0.0625
turnpike_event_loop_delay_seconds{worker="1",quantile="1"} 0.25
turnpike_event_loop_delay_seconds{worker="2",quantile="0.5"} 0
turnpike_event_loop_delay_seconds{worker="2",quantile="0.99"} 0.001
turnpike_event_loop_delay_seconds{worker="2",quantile="1"} 0.002
`;
    const s = extractSignals(parsePrometheusText(text), 5);
    expect(s).toMatchObject({
      elu: { '1': 0.93, '2': 0.41 },
      inflight: 12,
      upstreamInflight: 7,
      requests: 107,
      rateLimited: 7,
      cacheHits: 30,
      loopDelayP99Ms: 4,
      upstreamQueue: undefined,
      loopDelay: { '1': { p50: 0.5, p99: 62.5, max: 250 }, '2': { p50: 0, p99: 1, max: 2 } },
    });
    // Highest per-scrape figures of each worker over the run.
    const later = extractSignals(
      parsePrometheusText(
        'turnpike_event_loop_delay_seconds{worker="1",quantile="0.99"} 0.004\nturnpike_event_loop_delay_seconds{worker="1",quantile="1"} 0.5\n',
      ),
      6,
    );
    expect(summarizeSamples([s, later]).loopDelayByWorker).toEqual({
      '1': { p99Max: 62.5, max: 500 },
      '2': { p99Max: 1, max: 2 },
    });
    // A gateway without the gauge: no per-worker delay at all, rather than zeros.
    expect(
      extractSignals(parsePrometheusText(text.replace(/^turnpike_event_loop_delay.*$/gm, '')), 7),
    ).not.toHaveProperty('loopDelay');
    expect(summarizeSamples([]).loopDelayByWorker).toBeUndefined();
  });
});
