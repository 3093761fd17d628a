import { afterEach, describe, expect, it } from 'vitest';
import { type NetworkConfig, networkSchema } from '../config/schema.js';
import { selectUpstream } from './select.js';
import { Upstream } from './upstream.js';

const created: Upstream[] = [];

afterEach(async () => {
  await Promise.all(created.splice(0).map((upstream) => upstream.destroy()));
});

interface Spec {
  id: string;
  tier?: 'primary' | 'fallback';
  weight?: number;
  latencyMs?: number;
}

/** Real Upstream objects (their pools never connect: nothing is sent in these tests). */
function upstreams(...specs: Spec[]): Upstream[] {
  const config: NetworkConfig = networkSchema.parse({
    upstreams: specs.map((spec, index) => ({
      id: spec.id,
      url: `http://127.0.0.1:${9 + index}`,
      tier: spec.tier ?? 'primary',
      weight: spec.weight ?? 1,
    })),
    failsafe: { breaker: { minRequests: 1, failureRate: 0.5, openMs: 60_000 } },
  });
  return config.upstreams.map((upstreamConfig, index) => {
    const upstream = new Upstream(upstreamConfig, index, 'test', config);
    for (let i = 0; i < 100; i++) upstream.latency.record(specs[index]!.latencyMs ?? 10);
    created.push(upstream);
    return upstream;
  });
}

function picks(list: readonly Upstream[], times: number, skip?: ReadonlySet<Upstream>): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < times; i++) {
    const id = selectUpstream(list, skip)?.id ?? 'none';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('selectUpstream', () => {
  it('returns undefined when there is nothing to pick', () => {
    expect(selectUpstream([], undefined)).toBeUndefined();
    const [a] = upstreams({ id: 'a' });
    expect(selectUpstream([a!], new Set([a!]))).toBeUndefined();
  });

  it('spreads load over equal upstreams', () => {
    const list = upstreams({ id: 'a' }, { id: 'b' }, { id: 'c' });
    const counts = picks(list, 3000);
    for (const id of ['a', 'b', 'c']) expect(counts.get(id)).toBeGreaterThan(600);
  });

  it('never picks an upstream whose breaker is open', () => {
    const [a, b, c] = upstreams({ id: 'a' }, { id: 'b', latencyMs: 1 }, { id: 'c' });
    b!.breaker.recordFailure();
    expect(b!.breaker.state).toBe('open');
    const counts = picks([a!, b!, c!], 2000);
    expect(counts.get('b')).toBeUndefined();
    expect(counts.get('a')! + counts.get('c')!).toBe(2000);
  });

  it('never picks an excluded upstream (lagging or wrong chain)', () => {
    const [a, b, c] = upstreams(
      { id: 'a', latencyMs: 1 },
      { id: 'b', latencyMs: 1 },
      { id: 'c', latencyMs: 50 },
    );
    a!.lagging = true;
    b!.chainIdMismatch = true;
    expect(picks([a!, b!, c!], 1000)).toEqual(new Map([['c', 1000]]));
  });

  it('never picks an upstream in the skip set', () => {
    const [a, b, c] = upstreams({ id: 'a', latencyMs: 1 }, { id: 'b' }, { id: 'c' });
    const counts = picks([a!, b!, c!], 2000, new Set([a!]));
    expect(counts.get('a')).toBeUndefined();
    expect(counts.get('b')).toBeGreaterThan(500);
    expect(counts.get('c')).toBeGreaterThan(500);
  });

  it('prefers the lower score: of two, always the faster', () => {
    const [slow, fast] = upstreams({ id: 'slow', latencyMs: 100 }, { id: 'fast', latencyMs: 5 });
    expect(picks([slow!, fast!], 500)).toEqual(new Map([['fast', 500]]));
  });

  it('never picks the worst of three (it always loses its comparison)', () => {
    const list = upstreams(
      { id: 'a', latencyMs: 5 },
      { id: 'b', latencyMs: 6 },
      { id: 'worst', latencyMs: 80 },
    );
    const counts = picks(list, 3000);
    expect(counts.get('worst')).toBeUndefined();
    // Power of two choices still sends the second best a share (it wins when drawn with the worst).
    expect(counts.get('b')).toBeGreaterThan(300);
    expect(counts.get('a')).toBeGreaterThan(counts.get('b')!);
  });

  it('counts requests in flight: a busy fast upstream loses to an idle slower one', () => {
    const [busy, idle] = upstreams({ id: 'busy', latencyMs: 10 }, { id: 'idle', latencyMs: 30 });
    busy!.inflight = 5; // (5 + 1) × 10 = 60 > (0 + 1) × 30
    expect(selectUpstream([busy!, idle!], undefined)?.id).toBe('idle');
    busy!.inflight = 1; // 20 < 30
    expect(selectUpstream([busy!, idle!], undefined)?.id).toBe('busy');
  });

  it('divides the score by the weight', () => {
    const [light, heavy] = upstreams({ id: 'light', weight: 1 }, { id: 'heavy', weight: 4 });
    expect(picks([light!, heavy!], 500)).toEqual(new Map([['heavy', 500]]));
    // With 4 requests in flight the heavy one's score, (4 + 1) × 10 ÷ 4 = 12.5, exceeds 10.
    heavy!.inflight = 4;
    expect(selectUpstream([light!, heavy!], undefined)?.id).toBe('light');
  });

  it('uses the fallback tier only when no primary is available', () => {
    const [primary, fallback] = upstreams(
      { id: 'primary', latencyMs: 500 },
      { id: 'fallback', tier: 'fallback', latencyMs: 1 },
    );
    expect(picks([primary!, fallback!], 500)).toEqual(new Map([['primary', 500]]));
    expect(selectUpstream([primary!, fallback!], new Set([primary!]))?.id).toBe('fallback');
    primary!.lagging = true;
    expect(selectUpstream([primary!, fallback!], undefined)?.id).toBe('fallback');
    primary!.lagging = false;
    primary!.breaker.recordFailure();
    expect(selectUpstream([primary!, fallback!], undefined)?.id).toBe('fallback');
    fallback!.breaker.recordFailure();
    expect(selectUpstream([primary!, fallback!], undefined)).toBeUndefined();
  });

  it('uses the injected random source to order the two candidates (ties go to the first)', () => {
    const [a, b] = upstreams({ id: 'a' }, { id: 'b' });
    expect(selectUpstream([a!, b!], undefined, () => 0.1)?.id).toBe('a');
    expect(selectUpstream([a!, b!], undefined, () => 0.9)?.id).toBe('b');
  });
});
