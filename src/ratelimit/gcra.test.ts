import { expect, it, describe as suite } from 'vitest';
import { admit, describe } from './gcra.js';
import type { RateDecision, RateRule } from './limiter.js';

/** A one-key GCRA driven by explicit times, as the limiters use it. */
function bucket(rule: RateRule) {
  let tat: number | undefined;
  return (now: number, cost = 1): RateDecision => {
    const next = admit(tat, now, rule, cost);
    const allowed = !Number.isNaN(next);
    if (allowed) tat = next;
    return describe(allowed, tat, now, rule, cost);
  };
}

suite('GCRA', () => {
  it('admits the burst at once from a full bucket, then refuses', () => {
    const take = bucket({ perSecond: 10, burst: 5 });
    const decisions = Array.from({ length: 6 }, () => take(0));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
  });

  it('admits exactly burst + rate × time under 1 request per ms for 10 s', () => {
    const take = bucket({ perSecond: 10, burst: 5 });
    let admitted = 0;
    for (let now = 0; now < 10_000; now++) if (take(now).allowed) admitted++;
    // 5 at once, then one per 100 ms for the remaining ~10 s.
    expect(admitted).toBeGreaterThanOrEqual(104);
    expect(admitted).toBeLessThanOrEqual(106);
  });

  it('keeps the sustained rate with epoch-sized, fractional timestamps', () => {
    const take = bucket({ perSecond: 3, burst: 3 });
    const start = 1_760_000_000_000.123;
    let admitted = 0;
    for (let step = 0; step < 60_000; step++) if (take(start + step * 0.5).allowed) admitted++;
    // 30 s at 3/s plus the burst of 3; 333.33 ms intervals must not lose a token to rounding.
    expect(admitted).toBeGreaterThanOrEqual(92);
    expect(admitted).toBeLessThanOrEqual(93);
  });

  it('reports reset and retry-after in whole seconds, rounded up', () => {
    const take = bucket({ perSecond: 1, burst: 2 });
    expect(take(0)).toEqual({ allowed: true, limit: 2, remaining: 1, resetSeconds: 1, retryAfterSeconds: 0 });
    expect(take(0)).toEqual({ allowed: true, limit: 2, remaining: 0, resetSeconds: 2, retryAfterSeconds: 0 });
    expect(take(0)).toEqual({
      allowed: false,
      limit: 2,
      remaining: 0,
      resetSeconds: 2,
      retryAfterSeconds: 1,
    });
    expect(take(0, 2)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
    // 1.5 s later: half a token left to wait for; Retry-After still rounds up to 1.
    expect(take(1500, 2)).toMatchObject({
      allowed: false,
      remaining: 1,
      resetSeconds: 1,
      retryAfterSeconds: 1,
    });
    expect(take(1500)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('gives Retry-After of at least 1 s even when the wait is a few ms', () => {
    const take = bucket({ perSecond: 100, burst: 1 });
    take(0);
    expect(take(9)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(take(10).allowed).toBe(true);
  });

  it('does not advance the TAT on a refusal', () => {
    const take = bucket({ perSecond: 10, burst: 1 });
    take(0);
    for (let now = 1; now < 100; now++) expect(take(now).allowed).toBe(false);
    expect(take(100).allowed).toBe(true);
  });

  it('takes a cost of several requests at once', () => {
    const take = bucket({ perSecond: 10, burst: 5 });
    expect(take(0, 3)).toMatchObject({ allowed: true, remaining: 2 });
    expect(take(0, 3)).toMatchObject({ allowed: false, remaining: 2, retryAfterSeconds: 1 });
    expect(take(0, 2)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('refuses a cost above the burst forever, with Retry-After = wait until full', () => {
    const take = bucket({ perSecond: 1, burst: 3 });
    expect(take(0, 4)).toMatchObject({ allowed: false, remaining: 3, retryAfterSeconds: 1 });
    take(0, 3);
    expect(take(0, 4)).toMatchObject({ allowed: false, resetSeconds: 3, retryAfterSeconds: 3 });
    expect(take(60_000, 4).allowed).toBe(false);
  });

  it('treats an idle bucket (TAT in the past) like a fresh one', () => {
    const rule = { perSecond: 10, burst: 5 };
    expect(describe(true, undefined, 1000, rule, 1)).toEqual(describe(true, 500, 1000, rule, 1));
    expect(admit(500, 1000, rule, 5)).toBe(1500);
  });
});
