import { describe, expect, it } from 'vitest';
import { decodeHistogram, encodeHistogram, newHistogram, recordMs } from '../../src/bench/histogram.js';
import { validateScenario } from '../../src/bench/load-scenario.js';
import { Recorder } from '../../src/bench/recorder.js';
import { checkResponse, compileMix } from '../../src/bench/request-mix.js';
import { type Arrival, phaseWindows, ScheduleSlice, timeOfCount } from '../../src/bench/schedule.js';

const PHASES = [
  { name: 'warmup', duration: 1, from: 100, to: 100 },
  { name: 'ramp', duration: 4, from: 100, to: 500 },
  { name: 'sustain', duration: 2, from: 500, to: 500 },
];

function all(slice: ScheduleSlice): Arrival[] {
  const out: Arrival[] = [];
  for (let a = slice.next(); a !== undefined; a = slice.next()) out.push(a);
  return out;
}

describe('absolute schedule', () => {
  it('sends exactly ∫rate per phase, evenly spaced, and follows a ramp', () => {
    const arrivals = all(
      new ScheduleSlice({ phases: PHASES, arrivals: 'uniform', worker: 0, workers: 1, seed: 1 }),
    );
    const perPhase = [0, 0, 0];
    for (const a of arrivals) perPhase[a.phase]!++;
    expect(perPhase).toEqual([100, 1200, 1000]);
    // Constant phase: 10 ms apart; the times are absolute, from t0.
    expect(arrivals[1]!.at - arrivals[0]!.at).toBeCloseTo(0.01, 9);
    expect(arrivals[1100]!.at).toBeCloseTo(arrivals[1100]!.at, 9);
    // In the ramp the instantaneous rate at t is 100 + 100·(t − 1): arrivals in [4, 5) ≈ 450.
    const inLastRampSecond = arrivals.filter((a) => a.at >= 4 && a.at < 5).length;
    expect(inLastRampSecond).toBeGreaterThanOrEqual(449);
    expect(inLastRampSecond).toBeLessThanOrEqual(451);
    // Strictly increasing, all inside the phases.
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]!.at).toBeGreaterThan(arrivals[i - 1]!.at);
    expect(arrivals[arrivals.length - 1]!.at).toBeLessThan(7);
  });

  it('inverts the cumulative load exactly on a decreasing ramp too', () => {
    const [w] = phaseWindows([{ name: 'down', duration: 10, from: 1000, to: 0 }]);
    expect(w!.countEnd).toBe(5000);
    // Λ(t) = 1000 t − 50 t²: Λ(5) = 3750.
    expect(timeOfCount(w!, 3750)).toBeCloseTo(5, 9);
  });

  it('gives workers disjoint slices whose union is the single-thread schedule', () => {
    const single = all(
      new ScheduleSlice({ phases: PHASES, arrivals: 'uniform', worker: 0, workers: 1, seed: 1 }),
    );
    const sliced = [0, 1, 2].flatMap((worker) =>
      all(new ScheduleSlice({ phases: PHASES, arrivals: 'uniform', worker, workers: 3, seed: 1 })),
    );
    expect(sliced).toHaveLength(single.length);
    expect(new Set(sliced.map((a) => a.seq)).size).toBe(single.length);
    const times = sliced.map((a) => a.at).sort((a, b) => a - b);
    for (const [i, t] of times.entries()) expect(t).toBeCloseTo(single[i]!.at, 9);
  });

  it('draws reproducible Poisson arrivals with the right mean over all workers', () => {
    const phases = [{ name: 'sustain', duration: 20, from: 1000, to: 1000 }];
    const run = (seed: number) =>
      [0, 1].flatMap((worker) =>
        all(new ScheduleSlice({ phases, arrivals: 'poisson', worker, workers: 2, seed })),
      );
    const a = run(7);
    expect(run(7).map((x) => x.at)).toEqual(a.map((x) => x.at));
    expect(Math.abs(a.length - 20_000)).toBeLessThan(600); // ±4 σ
    // Exponential gaps: the coefficient of variation of one slice's gaps is ≈ 1 (uniform: 0).
    const one = all(new ScheduleSlice({ phases, arrivals: 'poisson', worker: 0, workers: 1, seed: 3 }));
    const gaps = one.slice(1).map((x, i) => x.at - one[i]!.at);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
  });
});

describe('histograms and the recorder', () => {
  it('merges exactly across workers: percentiles of the merge, not averages', () => {
    const whole = new Recorder(1, 1);
    const parts = [new Recorder(1, 1), new Recorder(1, 1)];
    for (let i = 0; i < 10_000; i++) {
      // Worker 0 is fast, worker 1 has a slow tail: averaging their p99s would be wrong.
      const latency = i % 2 === 0 ? 1 + (i % 7) * 0.1 : i % 100 === 1 ? 250 : 3;
      for (const r of [whole, parts[i % 2]!])
        r.ok(0, 0, (i % 3) * 1000, (i % 3) * 1000, (i % 3) * 1000, (i % 3) * 1000 + latency);
    }
    const merged = new Recorder(1, 1);
    for (const part of parts) merged.merge(JSON.parse(JSON.stringify(part.snapshot())));
    const p = (r: Recorder, q: number) => {
      const h = newHistogram();
      for (const b of r.buckets.values()) h.add(b.corrected);
      return h.getValueAtPercentile(q);
    };
    for (const q of [50, 90, 99, 99.9, 100]) expect(p(merged, q)).toBe(p(whole, q));
    expect(p(merged, 99.9)).toBeGreaterThan(200_000);
  });

  it('keeps microseconds with 3 significant digits through encoding', () => {
    const h = newHistogram();
    recordMs(h, 2.0004);
    recordMs(h, 1234.5);
    const back = decodeHistogram(encodeHistogram(h));
    expect(back.totalCount).toBe(2);
    expect(back.getValueAtPercentile(50)).toBe(2000);
    expect(Math.abs(back.maxValue - 1_234_500) / 1_234_500).toBeLessThan(0.001);
  });
});

describe('request mix', () => {
  const result = validateScenario({
    target: 'http://127.0.0.1:4000/local',
    apiKey: 'k',
    phases: [{ name: 'sustain', duration: 1, rate: 1 }],
    requests: [
      { weight: 3, rpc: { method: 'eth_blockNumber' } },
      { weight: 1, batch: [{ method: 'eth_chainId' }, { method: 'eth_gasPrice' }] },
      { name: 'send', transfer: { json: { to: '0xabc', amount: '1', id: 'job-{{seq}}' } } },
      { http: { method: 'GET' }, path: '/healthz', expect: { status: 200, json: { '$.status': 'ok' } } },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const mix = compileMix(result.scenario);

  it('keeps the weights over any stretch of sequence numbers', () => {
    const counts = [0, 0, 0, 0];
    for (let seq = 5000; seq < 11_000; seq++) counts[mix.pick(seq).index]!++;
    expect(counts.map((c) => Math.round(c / 100))).toEqual([30, 10, 10, 10]);
  });

  it('prepares bodies, paths and headers once; expands {{seq}}', () => {
    const [rpc, batch, transfer, health] = mix.kinds;
    expect(rpc!.path).toBe('/local');
    expect(JSON.parse(String(rpc!.body))).toEqual({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_blockNumber',
      params: [],
    });
    expect(rpc!.headers).toEqual({ 'x-api-key': 'k', 'content-type': 'application/json' });
    expect(batch!.name).toBe('batch[2]');
    expect(transfer!.path).toBe('/v1/transfers');
    expect(JSON.parse(String(mix.body(transfer!, 42))).id).toBe('job-42');
    expect(health!.method).toBe('GET');
    expect(health!.body).toBeUndefined();
  });

  it('sends raw bodies in rotation', () => {
    const raw = validateScenario({
      target: 'http://127.0.0.1:4000/',
      phases: [{ name: 'sustain', duration: 1, rate: 1 }],
      requests: [{ bodies: ['{"id":1}', '{"id":2}', '{"id":3}'] }],
    });
    if (!raw.ok) throw new Error(JSON.stringify(raw.issues));
    const rotating = compileMix(raw.scenario);
    const kind = rotating.kinds[0]!;
    expect([0, 1, 2, 3].map((seq) => String(rotating.body(kind, seq)))).toEqual([
      '{"id":1}',
      '{"id":2}',
      '{"id":3}',
      '{"id":1}',
    ]);
    expect(kind.rpc).toBe(true);
    expect(kind.headers['content-type']).toBe('application/json');
  });

  it('classifies answers: status, JSON-RPC error code, assertion', () => {
    const [rpc, batch, , health] = mix.kinds;
    expect(checkResponse(rpc!, 200, '{"jsonrpc":"2.0","id":1,"result":"0x1"}')).toBeUndefined();
    expect(checkResponse(rpc!, 429, '')).toBe('http_429');
    expect(
      checkResponse(rpc!, 200, '{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"limit"}}'),
    ).toBe('rpc_-32005');
    expect(checkResponse(batch!, 200, '[{"id":1,"result":"0x1"},{"id":2,"error":{"code":-32601}}]')).toBe(
      'rpc_-32601',
    );
    expect(checkResponse(health!, 200, '{"status":"ok"}')).toBeUndefined();
    expect(checkResponse(health!, 200, '{"status":"degraded"}')).toBe('assertion');
    expect(checkResponse(health!, 503, '{"status":"ok"}')).toBe('http_503');
  });

  it('classifies answers kept as bytes (the generator does not decode bodies it need not read)', () => {
    const [rpc, , transfer, health] = mix.kinds;
    expect(transfer!.readsBody).toBe(false);
    expect(rpc!.readsBody).toBe(true);
    expect(health!.readsBody).toBe(true);
    const error = Buffer.from('{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"límite"}}');
    expect(checkResponse(rpc!, 200, error)).toBe('rpc_-32005');
    expect(checkResponse(rpc!, 200, Buffer.from('{"jsonrpc":"2.0","id":1,"result":"0x1"}'))).toBeUndefined();
    expect(checkResponse(rpc!, 200, Buffer.from('{"jsonrpc":"2.0","id":1,"error":{"co'))).toBe(
      'rpc_invalid_json',
    );
    expect(checkResponse(health!, 200, Buffer.from('{"status":"degraded"}'))).toBe('assertion');
  });
});
