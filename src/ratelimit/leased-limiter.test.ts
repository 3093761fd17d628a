import { afterEach, describe, expect, it } from 'vitest';
import { LeaseAuthority } from './lease-authority.js';
import { type GrantRequest, LeasedRateLimiter, type LeasedRateLimiterOptions } from './leased-limiter.js';
import type { RateDecision, RateRule } from './limiter.js';
import { MemoryRateLimiter } from './memory-limiter.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

/** N workers and one authority on a hand-driven clock; the transport hops a macrotask each way. */
function cluster(workers: number, options: Partial<LeasedRateLimiterOptions> = {}) {
  const clock = { now: 0 };
  const now = () => clock.now;
  const authority = new LeaseAuthority({ now, sweepIntervalMs: 0 });
  const stats = { trips: 0 };
  const requestGrant: GrantRequest = async (key, rule, want, min) => {
    stats.trips++;
    await tick();
    const grant = authority.grant(key, rule, want, min);
    await tick();
    return grant;
  };
  const limiters = Array.from(
    { length: workers },
    () => new LeasedRateLimiter({ requestGrant, failure: 'closed', now, sweepIntervalMs: 0, ...options }),
  );
  closers.push(() => authority.close(), ...limiters.map((limiter) => () => limiter.close()));
  return { clock, limiters, stats };
}

/**
 * Offers `perSecond` requests spread over `workers` for `seconds` of simulated time in 1 ms
 * steps, checking after every step that the total admitted stays within one GCRA's bound.
 */
async function offerLoad(rule: RateRule, workers: number, perSecond: number, seconds: number) {
  const { clock, limiters, stats } = cluster(workers);
  const reference = new MemoryRateLimiter({ now: () => clock.now, sweepIntervalMs: 0 });
  closers.push(() => reference.close());
  let admitted = 0;
  let referenceAdmitted = 0;
  let offered = 0;
  for (let ms = 0; ms < seconds * 1000; ms++) {
    clock.now = ms;
    const pending: Array<RateDecision | Promise<RateDecision>> = [];
    for (; offered * (1000 / perSecond) <= ms; offered++) {
      pending.push(limiters[offered % workers]!.consume('key', rule));
      if (reference.consume('key', rule).allowed) referenceAdmitted++;
    }
    for (const decision of await Promise.all(pending)) if (decision.allowed) admitted++;
    expect(admitted).toBeLessThanOrEqual(rule.burst + Math.floor((ms * rule.perSecond) / 1000));
  }
  return { admitted, referenceAdmitted, offered, trips: stats.trips };
}

describe('LeasedRateLimiter', () => {
  it('holds one limit across 4 workers at 2x the rate, and admits >= 90 % of it', async () => {
    const rule = { perSecond: 100, burst: 20 };
    const run = await offerLoad(rule, 4, 200, 3);
    expect(run.admitted).toBeLessThanOrEqual(run.referenceAdmitted);
    expect(run.admitted).toBeGreaterThanOrEqual(0.9 * (20 + 300));
  });

  it('holds under a flood (200x the rate), refusing locally between tokens', async () => {
    const rule = { perSecond: 50, burst: 10 };
    const run = await offerLoad(rule, 4, 10_000, 2);
    expect(run.admitted).toBeLessThanOrEqual(run.referenceAdmitted);
    expect(run.admitted).toBeGreaterThanOrEqual(0.9 * (10 + 100));
    // Concurrent misses share a trip, and a refusal is repeated locally until the next token.
    expect(run.trips).toBeLessThan(run.offered / 10);
  });

  it('answers from local tokens synchronously, with remaining counting them', async () => {
    const { limiters, stats } = cluster(1);
    const rule = { perSecond: 100, burst: 20 }; // batches of 5
    const first = await limiters[0]!.consume('k', rule);
    expect(first).toMatchObject({ allowed: true, remaining: 19 });
    const second = limiters[0]!.consume('k', rule);
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toMatchObject({ allowed: true, remaining: 18 });
    expect(stats.trips).toBe(1);
  });

  it('sends one trip for concurrent misses on a key', async () => {
    const { limiters, stats } = cluster(1);
    const rule = { perSecond: 1000, burst: 100 }; // batches of 25
    const decisions = await Promise.all(Array.from({ length: 10 }, () => limiters[0]!.consume('k', rule)));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(stats.trips).toBe(1);
  });

  it('asks again when concurrent callers need more than one batch', async () => {
    const { limiters, stats } = cluster(1);
    const rule = { perSecond: 100, burst: 20 }; // batches of 5
    const decisions = await Promise.all(Array.from({ length: 25 }, () => limiters[0]!.consume('k', rule)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    const refused = decisions.find((d) => !d.allowed);
    expect(refused?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(stats.trips).toBeGreaterThanOrEqual(4);
  });

  it('refuses locally until the authority said the next token conforms', async () => {
    const { clock, limiters, stats } = cluster(1);
    const limiter = limiters[0]!;
    const rule = { perSecond: 10, burst: 1 };
    expect((await limiter.consume('k', rule)).allowed).toBe(true);
    expect(await limiter.consume('k', rule)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    clock.now += 99;
    expect(limiter.consume('k', rule)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.consume('k', rule, 2)).not.toBeInstanceOf(Promise); // above the burst
    expect(stats.trips).toBe(2);
    clock.now += 1;
    expect((await limiter.consume('k', rule)).allowed).toBe(true);
    expect(stats.trips).toBe(3);
  });

  it('lets unused tokens expire after leaseMs, which only makes it stricter', async () => {
    const { clock, limiters, stats } = cluster(1, { leaseMs: 250 });
    const limiter = limiters[0]!;
    const rule = { perSecond: 40, burst: 8 }; // batches of 2: one spare per trip
    await limiter.consume('k', rule);
    clock.now += 100;
    expect(limiter.consume('k', rule)).not.toBeInstanceOf(Promise); // the spare, still valid
    await limiter.consume('k', rule);
    clock.now += 251;
    const late = limiter.consume('k', rule);
    expect(late).toBeInstanceOf(Promise); // the spare expired: back to the authority
    expect((await late).allowed).toBe(true);
    expect(stats.trips).toBe(3);
  });

  it('refuses a cost above the burst, and takes a cost that fits', async () => {
    const { limiters } = cluster(1);
    const rule = { perSecond: 10, burst: 5 };
    expect(await limiters[0]!.consume('k', rule, 6)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(await limiters[0]!.consume('k', rule, 3)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await limiters[0]!.consume('k', rule, 3)).toMatchObject({ allowed: false, remaining: 2 });
  });

  for (const failure of ['open', 'closed'] as const) {
    it(`fails ${failure} when the authority errors, telling onFailure each time`, async () => {
      const errors: unknown[] = [];
      const limiter = new LeasedRateLimiter({
        requestGrant: () => Promise.reject(new Error('primary gone')),
        failure,
        onFailure: (err) => errors.push(err),
        sweepIntervalMs: 0,
      });
      closers.push(() => limiter.close());
      const rule = { perSecond: 10, burst: 5 };
      const decision = await limiter.consume('k', rule);
      expect(decision.allowed).toBe(failure === 'open');
      if (failure === 'closed') expect(decision.retryAfterSeconds).toBe(1);
      await limiter.consume('k', rule);
      expect(errors).toHaveLength(2);
    });
  }

  it('fails local when the authority errors: the burst from its own bucket, then refusals', async () => {
    const limiter = new LeasedRateLimiter({
      requestGrant: () => Promise.reject(new Error('primary gone')),
      failure: 'local',
      sweepIntervalMs: 0,
    });
    closers.push(() => limiter.close());
    const rule = { perSecond: 1, burst: 3 };
    const allowed: boolean[] = [];
    for (let i = 0; i < 5; i++) allowed.push((await limiter.consume('k', rule)).allowed);
    expect(allowed).toEqual([true, true, true, false, false]);
    // Another key has a bucket of its own.
    expect((await limiter.consume('other', rule)).allowed).toBe(true);
  });

  it('treats a silent authority as failed after grantTimeoutMs', async () => {
    const errors: unknown[] = [];
    const limiter = new LeasedRateLimiter({
      requestGrant: () => new Promise(() => {}),
      failure: 'closed',
      onFailure: (err) => errors.push(err),
      grantTimeoutMs: 20,
      sweepIntervalMs: 0,
    });
    closers.push(() => limiter.close());
    const started = performance.now();
    expect((await limiter.consume('k', { perSecond: 10, burst: 5 })).allowed).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(errors).toHaveLength(1);
  });

  it('forgets expired leases when swept', async () => {
    const { clock, limiters } = cluster(1);
    const limiter = limiters[0]!;
    await limiter.consume('k', { perSecond: 100, burst: 20 });
    expect(limiter.sweep()).toBe(0);
    clock.now += 1000;
    expect(limiter.sweep()).toBe(1);
  });
});
