import { describe, expect, it } from 'vitest';
import type { WorkerSample } from './snapshot.js';
import { quantileMs, SnapshotBuilder } from './snapshot-builder.js';

const BOUNDS = [0.001, 0.01, 0.1];

function sample(worker: string, total: number, over: Partial<WorkerSample> = {}): WorkerSample {
  return {
    worker,
    requests: [
      ['eth', 'eth_call', 'ok', total],
      ['eth', 'eth_call', 'ERR_RATE_LIMITED', total / 10],
    ],
    latency: { eth: [total, 0, 0, 0] },
    latencyBounds: BOUNDS,
    upstreams: [
      {
        network: 'eth',
        id: 'a',
        attempts: total,
        latencySum: total * 0.002,
        latencyCount: total,
        inflight: 1,
        available: true,
        breaker: 0,
        head: 10,
        lag: 0,
        errorRate: 0,
        excluded: false,
        retries: total / 10,
        hedges: total / 100,
      },
    ],
    cache: undefined,
    relayer: undefined,
    process: { elu: 0.5, delayP99Ms: 1, heapBytes: 1, rssBytes: 2 },
    ...over,
  };
}

describe('SnapshotBuilder', () => {
  it('turns running totals into rates per second, summed over workers', () => {
    const builder = new SnapshotBuilder();
    const first = builder.build([sample('0', 100), sample('1', 50)], 10_000);
    // The first sample of a worker is its baseline, not a burst.
    expect(first.rps).toBe(0);
    const second = builder.build([sample('0', 300), sample('1', 150)], 12_000);
    // (200 + 100) ok and (20 + 10) refused over 2 s.
    expect(second.rps).toBe(165);
    expect(second.byStatus).toEqual({ ok: 150, ERR_RATE_LIMITED: 15 });
    expect(second.errors).toBe(15);
    expect(second.byNetwork).toEqual({ eth: 165 });
    expect(second.workers.map((w) => w.worker)).toEqual(['0', '1']);
  });

  it('counts a restarted worker from zero instead of a negative rate', () => {
    const builder = new SnapshotBuilder();
    builder.build([sample('0', 1_000)], 0);
    const after = builder.build([sample('0', 40)], 1_000);
    expect(after.rps).toBe(44);
  });

  it('merges upstreams: unhealthy and the worst breaker when any worker says so', () => {
    const builder = new SnapshotBuilder();
    const down = (s: WorkerSample): WorkerSample => ({
      ...s,
      upstreams: s.upstreams.map((u) => ({ ...u, available: false, breaker: 2 })),
    });
    builder.build([sample('0', 10), sample('1', 10)], 0);
    const snapshot = builder.build([sample('0', 20), down(sample('1', 30))], 1_000);
    expect(snapshot.upstreams).toHaveLength(1);
    expect(snapshot.upstreams[0]).toMatchObject({ healthy: false, breaker: 'open', inflight: 2, share: 1 });
    expect(snapshot.upstreams[0]!.latencyMs).toBeCloseTo(2, 6);
  });

  it('gives each upstream its retries and hedges per second, summed over workers', () => {
    const builder = new SnapshotBuilder();
    const other = (s: WorkerSample, retries: number): WorkerSample => ({
      ...s,
      upstreams: [...s.upstreams, { ...s.upstreams[0]!, id: 'b', retries, hedges: 0 }],
    });
    builder.build([other(sample('0', 100), 5), sample('1', 100)], 10_000);
    // Over 2 s: a gets (10 + 20) retries and (1 + 2) hedges; b's 5 → 9 retries are worker 0's.
    const snapshot = builder.build([other(sample('0', 200), 9), sample('1', 300)], 12_000);
    const byId = Object.fromEntries(snapshot.upstreams.map((u) => [u.id, u]));
    expect(byId.a).toMatchObject({ retriesPerSec: 15, hedgesPerSec: 1.5 });
    expect(byId.b).toMatchObject({ retriesPerSec: 2, hedgesPerSec: 0 });
  });
});

describe('quantileMs', () => {
  it('interpolates inside the bucket, as histogram_quantile does', () => {
    expect(quantileMs([0, 10, 0, 0], BOUNDS, 0.5)).toBeCloseTo(5.5, 6);
    expect(quantileMs([10, 0, 0, 0], BOUNDS, 0.99)).toBeCloseTo(0.99, 6);
  });

  it('answers the highest bound for the +Inf bucket, and null without observations', () => {
    expect(quantileMs([0, 0, 0, 5], BOUNDS, 0.5)).toBe(100);
    expect(quantileMs([0, 0, 0, 0], BOUNDS, 0.5)).toBeNull();
  });
});
