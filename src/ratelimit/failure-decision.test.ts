import { describe, expect, it } from 'vitest';
import { FailureFallback, shareOf } from './failure-decision.js';

describe('shareOf', () => {
  it('gives each of N processes limit / N of the rate and the burst', () => {
    expect(shareOf({ perSecond: 30, burst: 60 }, 3)).toEqual({ perSecond: 10, burst: 20 });
    expect(shareOf({ perSecond: 30, burst: 60 }, 1)).toEqual({ perSecond: 30, burst: 60 });
  });

  it('never gives a burst below 1 (a request could never conform) nor divides by less than 1', () => {
    expect(shareOf({ perSecond: 1, burst: 2 }, 4)).toEqual({ perSecond: 0.25, burst: 1 });
    expect(shareOf({ perSecond: 5, burst: 5 }, 0)).toEqual({ perSecond: 5, burst: 5 });
  });
});

describe('FailureFallback local', () => {
  it('admits this process’s share of the burst, and reports the key’s own limit', async () => {
    let fleet = 4;
    const fallback = new FailureFallback('local', () => fleet);
    const rule = { perSecond: 0.001, burst: 8 };
    const allowed = Array.from({ length: 5 }, () => fallback.decide('k', rule, 1).allowed);
    expect(allowed).toEqual([true, true, false, false, false]);
    expect(fallback.decide('k', rule, 1).limit).toBe(8);
    // Alone: a key gets the whole burst.
    fleet = 1;
    const alone = Array.from({ length: 9 }, () => fallback.decide('j', rule, 1).allowed);
    expect(alone.filter(Boolean)).toHaveLength(8);
    await fallback.close();
  });
});
