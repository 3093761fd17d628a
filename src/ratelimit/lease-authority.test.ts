import { afterEach, describe, expect, it } from 'vitest';
import { LeaseAuthority } from './lease-authority.js';

const RULE = { perSecond: 10, burst: 10 };

let authority: LeaseAuthority | undefined;
afterEach(async () => {
  await authority?.close();
});

function authorityAt() {
  const clock = { now: 0 };
  authority = new LeaseAuthority({ now: () => clock.now, sweepIntervalMs: 0 });
  return { clock, authority };
}

describe('LeaseAuthority', () => {
  it('grants the whole batch while it conforms', () => {
    const { authority } = authorityAt();
    expect(authority.grant('k', RULE, 4)).toMatchObject({
      granted: 4,
      decision: { allowed: true, remaining: 6 },
    });
    expect(authority.grant('k', RULE, 4)).toMatchObject({ granted: 4, decision: { remaining: 2 } });
  });

  it('grants what is left when less than the batch conforms', () => {
    const { authority } = authorityAt();
    authority.grant('k', RULE, 8);
    expect(authority.grant('k', RULE, 4)).toMatchObject({
      granted: 2,
      decision: { allowed: true, remaining: 0 },
    });
  });

  it('grants nothing when fewer than `min` conform, with Retry-After for `min`', () => {
    const { clock, authority } = authorityAt();
    authority.grant('k', RULE, 10);
    const refused = authority.grant('k', RULE, 5, 1);
    expect(refused.granted).toBe(0);
    expect(refused.decision).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    clock.now += 200; // two tokens back
    expect(authority.grant('k', RULE, 5, 3)).toMatchObject({ granted: 0, decision: { remaining: 2 } });
    expect(authority.grant('k', RULE, 5, 2).granted).toBe(2);
  });

  it('never grants more than one GCRA admits over time', () => {
    const { clock, authority } = authorityAt();
    let granted = 0;
    for (let ms = 0; ms < 5_000; ms += 7) {
      clock.now = ms;
      granted += authority.grant('k', RULE, 3).granted;
      expect(granted).toBeLessThanOrEqual(10 + Math.floor(ms / 100));
    }
    expect(granted).toBeGreaterThanOrEqual(10 + 49);
  });

  it('refuses a `min` above the burst', () => {
    const { authority } = authorityAt();
    expect(authority.grant('k', RULE, 11, 11)).toMatchObject({ granted: 0, decision: { allowed: false } });
    expect(authority.grant('k', RULE, 11, 1).granted).toBe(10);
  });
});
