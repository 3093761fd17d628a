import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRateLimiter, type MemoryRateLimiterOptions } from './memory-limiter.js';

const RULE = { perSecond: 10, burst: 2 };

let open: MemoryRateLimiter[] = [];
afterEach(async () => {
  await Promise.all(open.map((limiter) => limiter.close()));
  open = [];
});

/** A limiter on a hand-driven clock, with the background sweep off. */
function limiterAt(options: MemoryRateLimiterOptions = {}) {
  const clock = { now: 1_000_000 };
  const limiter = new MemoryRateLimiter({ now: () => clock.now, sweepIntervalMs: 0, ...options });
  open.push(limiter);
  return { clock, limiter };
}

describe('MemoryRateLimiter', () => {
  it('answers synchronously and refills with its clock', () => {
    const { clock, limiter } = limiterAt();
    expect(limiter.consume('a', RULE).allowed).toBe(true);
    expect(limiter.consume('a', RULE).allowed).toBe(true);
    expect(limiter.consume('a', RULE).allowed).toBe(false);
    clock.now += 100;
    expect(limiter.consume('a', RULE)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('stores nothing for a refused request on an unseen key', () => {
    const { limiter } = limiterAt();
    expect(limiter.consume('huge', RULE, 3).allowed).toBe(false);
    expect(limiter.size).toBe(0);
  });

  it('sweeps buckets that are full again, and only those', () => {
    const { clock, limiter } = limiterAt();
    limiter.consume('idle-soon', RULE);
    clock.now += 50;
    limiter.consume('busy', RULE, 2);
    clock.now += 60; // idle-soon full at +100, busy full at +250
    expect(limiter.sweep()).toBe(1);
    expect(limiter.size).toBe(1);
    clock.now += 200;
    expect(limiter.sweep()).toBe(1);
    expect(limiter.size).toBe(0);
  });

  it('sweeps in slices that resume where the last one stopped', () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 10; i++) limiter.consume(`k${i}`, RULE);
    clock.now += 1000;
    expect(limiter.sweep(4)).toBe(4);
    expect(limiter.sweep(4)).toBe(4);
    expect(limiter.sweep(4)).toBe(2);
    expect(limiter.size).toBe(0);
  });

  it('sweeps in the background on an unref-ed timer', async () => {
    const clock = { now: 0 };
    const limiter = new MemoryRateLimiter({ now: () => clock.now, sweepIntervalMs: 5 });
    open.push(limiter);
    limiter.consume('a', RULE);
    clock.now += 1000;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(limiter.size).toBe(0);
  });

  it('caps the keys it holds, evicting the oldest first (which only makes it more lenient)', () => {
    const { limiter } = limiterAt({ maxKeys: 100 });
    for (let i = 0; i < 100; i++) limiter.consume(`k${i}`, RULE, 2);
    expect(limiter.consume('k0', RULE).allowed).toBe(false);
    limiter.consume('newcomer', RULE);
    expect(limiter.size).toBeLessThanOrEqual(100);
    // k0 was the oldest: forgotten, so its bucket is full again.
    expect(limiter.consume('k0', RULE).allowed).toBe(true);
    expect(limiter.consume('k99', RULE).allowed).toBe(false);
    for (let i = 0; i < 10_000; i++) limiter.consume(`flood${i}`, RULE);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it('moves a key that turned busy again to the back of the eviction order', () => {
    const { clock, limiter } = limiterAt({ maxKeys: 2 });
    limiter.consume('a', RULE);
    limiter.consume('b', RULE);
    clock.now += 1000; // both full again
    limiter.consume('a', RULE, 2);
    limiter.consume('c', RULE); // evicts b, the oldest
    expect(limiter.consume('a', RULE).allowed).toBe(false);
  });
});
