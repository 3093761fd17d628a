/**
 * One conformance suite for every `RateLimiter` (memory, Redis, leases): the behaviour the
 * gateway relies on for 429s and the RateLimit-* headers, on the real clock.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateDecision, RateLimiter, RateRule } from '../../src/ratelimit/limiter.js';

export interface RateLimiterFixture {
  limiter: RateLimiter;
  close(): Promise<void>;
  /**
   * What the limiter reported to its `onFailure` (a Redis error or timeout, answered with the
   * fail-closed refusal): none is expected here, and one fails the case with its cause.
   */
  failures?: readonly unknown[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeRateLimiter(name: string, create: () => Promise<RateLimiterFixture>): void {
  describe(`RateLimiter conformance: ${name}`, () => {
    let fixture: RateLimiterFixture;
    // Unique keys per test: a slow refill must never leak into the next case.
    let prefix: string;
    beforeEach(async () => {
      fixture = await create();
      prefix = randomBytes(4).toString('hex');
    });
    afterEach(async () => {
      const failures = fixture.failures ?? [];
      await fixture.close();
      expect(failures.map(String), 'the limiter reported a backend failure').toEqual([]);
    });

    const take = (key: string, rule: RateRule, cost?: number): Promise<RateDecision> =>
      Promise.resolve(fixture.limiter.consume(`${prefix}:${key}`, rule, cost));

    async function takeMany(key: string, rule: RateRule, count: number): Promise<RateDecision[]> {
      const decisions: RateDecision[] = [];
      for (let i = 0; i < count; i++) decisions.push(await take(key, rule));
      return decisions;
    }

    it('admits the burst, then refuses', async () => {
      const decisions = await takeMany('a', { perSecond: 1, burst: 5 }, 7);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
      expect(decisions.every((d) => d.limit === 5)).toBe(true);
    });

    it('gives Retry-After >= 1 and a reset when refused, 0 when admitted', async () => {
      const rule = { perSecond: 1, burst: 2 };
      const [first, , refused] = await takeMany('a', rule, 3);
      expect(first?.retryAfterSeconds).toBe(0);
      expect(refused).toMatchObject({ allowed: false, remaining: 0 });
      expect(refused?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(refused?.resetSeconds).toBeGreaterThanOrEqual(1);
    });

    it('keeps separate keys independent', async () => {
      const rule = { perSecond: 1, burst: 2 };
      await takeMany('a', rule, 3);
      expect((await take('a', rule)).allowed).toBe(false);
      expect((await takeMany('b', rule, 2)).every((d) => d.allowed)).toBe(true);
    });

    it('takes a cost of several requests', async () => {
      const rule = { perSecond: 1, burst: 5 };
      expect(await take('a', rule, 3)).toMatchObject({ allowed: true, remaining: 2 });
      expect(await take('a', rule, 3)).toMatchObject({ allowed: false, remaining: 2 });
      expect(await take('a', rule, 2)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('refuses a cost above the burst, with Retry-After >= 1', async () => {
      const decision = await take('a', { perSecond: 10, burst: 3 }, 4);
      expect(decision.allowed).toBe(false);
      expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    });

    it('reports remaining going down with each request', async () => {
      const decisions = await takeMany('a', { perSecond: 1, burst: 10 }, 4);
      expect(decisions.map((d) => d.remaining)).toEqual([9, 8, 7, 6]);
    });

    it('refills over real time', async () => {
      const rule = { perSecond: 20, burst: 2 };
      const decisions = await takeMany('a', rule, 3);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      await sleep(150); // 3 tokens' worth at 20/s
      const later = await takeMany('a', rule, 3);
      expect(later.filter((d) => d.allowed).length).toBeGreaterThanOrEqual(1);
    });
  });
}
