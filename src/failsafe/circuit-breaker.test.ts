import { describe, expect, it } from 'vitest';
import type { BreakerConfig } from '../config/schema.js';
import { type BreakerState, CircuitBreaker } from './circuit-breaker.js';

const CONFIG: BreakerConfig = {
  failureRate: 0.5,
  minRequests: 4,
  // High, so the window tests below are not cut short; the consecutive rule has its own tests.
  consecutiveFailures: 100,
  windowMs: 1000,
  openMs: 500,
  halfOpenProbes: 2,
};

/** A breaker on a hand-driven clock: `advance(ms)` is the only way time passes. */
function breaker(overrides: Partial<BreakerConfig> = {}) {
  let now = 10_000;
  const transitions: BreakerState[] = [];
  const instance = new CircuitBreaker({ ...CONFIG, ...overrides }, () => now);
  instance.onStateChange = (state) => transitions.push(state);
  return {
    breaker: instance,
    transitions,
    advance(ms: number) {
      now += ms;
    },
  };
}

function fail(b: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) b.recordFailure();
}

function succeed(b: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) b.recordSuccess();
}

describe('CircuitBreaker', () => {
  it('starts closed and admits requests', () => {
    const { breaker: b } = breaker();
    expect(b.state).toBe('closed');
    expect(b.isAvailable()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
  });

  it('stays closed below minRequests even when every request failed', () => {
    const { breaker: b, transitions } = breaker();
    fail(b, CONFIG.minRequests - 1);
    expect(b.state).toBe('closed');
    expect(transitions).toEqual([]);
  });

  it('opens once minRequests is reached and the failure rate crosses the threshold', () => {
    const { breaker: b, transitions } = breaker();
    fail(b, CONFIG.minRequests);
    expect(b.state).toBe('open');
    expect(b.isAvailable()).toBe(false);
    expect(b.tryAcquire()).toBe(false);
    expect(transitions).toEqual(['open']);
  });

  it('stays closed while the failure rate is below the threshold', () => {
    const { breaker: b } = breaker({ failureRate: 0.5, minRequests: 4 });
    succeed(b, 3);
    fail(b, 2); // 2 of 5 = 40 %
    expect(b.state).toBe('closed');
    fail(b, 1); // 3 of 6 = 50 %
    expect(b.state).toBe('open');
  });

  it('ignores failures while open: they do not extend the open period', () => {
    const { breaker: b, advance } = breaker();
    fail(b, CONFIG.minRequests);
    advance(CONFIG.openMs - 1);
    fail(b, 10);
    expect(b.state).toBe('open');
    advance(1);
    expect(b.state).toBe('half-open');
  });

  it('turns half-open after openMs without any timer', () => {
    const { breaker: b, advance, transitions } = breaker();
    fail(b, CONFIG.minRequests);
    advance(CONFIG.openMs - 1);
    expect(b.state).toBe('open');
    advance(1);
    expect(b.state).toBe('half-open');
    expect(transitions).toEqual(['open', 'half-open']);
  });

  it('admits only halfOpenProbes probes while half-open', () => {
    const { breaker: b, advance } = breaker({ halfOpenProbes: 2 });
    fail(b, CONFIG.minRequests);
    advance(CONFIG.openMs);
    expect(b.isAvailable()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    expect(b.isAvailable()).toBe(false);
    // A succeeded probe keeps its slot: the budget is per half-open period, not concurrent.
    b.recordSuccess();
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(false);
  });

  it('closes when every probe succeeds, with a fresh window', () => {
    const { breaker: b, advance, transitions } = breaker({ halfOpenProbes: 2 });
    fail(b, CONFIG.minRequests);
    advance(CONFIG.openMs);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    b.recordSuccess();
    expect(b.state).toBe('half-open');
    b.recordSuccess();
    expect(b.state).toBe('closed');
    expect(transitions).toEqual(['open', 'half-open', 'closed']);
    // The failures that opened it are forgotten: it needs minRequests new ones to open again.
    fail(b, CONFIG.minRequests - 1);
    expect(b.state).toBe('closed');
    fail(b, 1);
    expect(b.state).toBe('open');
  });

  it('opens again on a single failed probe, for another full openMs', () => {
    const { breaker: b, advance, transitions } = breaker();
    fail(b, CONFIG.minRequests);
    advance(CONFIG.openMs);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    b.recordSuccess();
    b.recordFailure();
    expect(b.state).toBe('open');
    advance(CONFIG.openMs - 1);
    expect(b.state).toBe('open');
    advance(1);
    expect(b.state).toBe('half-open');
    // A new half-open period has a full probe budget again.
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(transitions).toEqual(['open', 'half-open', 'open', 'half-open']);
  });

  it('release() frees a half-open probe slot without a verdict', () => {
    const { breaker: b, advance } = breaker({ halfOpenProbes: 1 });
    fail(b, CONFIG.minRequests);
    advance(CONFIG.openMs);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.release();
    expect(b.state).toBe('half-open');
    expect(b.isAvailable()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
  });

  it('release() while closed changes nothing', () => {
    const { breaker: b } = breaker();
    fail(b, CONFIG.minRequests - 1);
    b.release();
    b.release();
    expect(b.state).toBe('closed');
    fail(b, 1);
    expect(b.state).toBe('open');
  });

  it('the sliding window forgets failures older than windowMs', () => {
    const { breaker: b, advance } = breaker({ windowMs: 1000, minRequests: 4 });
    fail(b, 3);
    advance(1000);
    fail(b, 3);
    // Six failures in total, but never four inside one window.
    expect(b.state).toBe('closed');
    fail(b, 1);
    expect(b.state).toBe('open');
  });

  it('slides bucket by bucket: only the buckets that aged out are forgotten', () => {
    // 10 buckets of 100 ms each.
    const { breaker: b, advance } = breaker({ windowMs: 1000, minRequests: 4, failureRate: 0.5 });
    fail(b, 2); // bucket at t=0
    advance(500);
    succeed(b, 2); // bucket at t=500; window holds 2 failures of 4 requests... plus one more below
    advance(550); // t=1050: the t=0 bucket has aged out, the t=500 one has not
    fail(b, 1); // 1 failure of 3 requests: below minRequests
    expect(b.state).toBe('closed');
    fail(b, 1); // 2 of 4 = 50 %
    expect(b.state).toBe('open');
  });

  it('successes outside the window no longer dilute the failure rate', () => {
    const { breaker: b, advance } = breaker({ windowMs: 1000, minRequests: 4, failureRate: 0.5 });
    succeed(b, 100);
    fail(b, 10);
    expect(b.state).toBe('closed'); // 10 of 110
    advance(2000);
    fail(b, 4);
    expect(b.state).toBe('open');
  });

  it('errorRate() is the failure ratio over the sliding window', () => {
    const { breaker: b, advance } = breaker({ minRequests: 100 });
    expect(b.errorRate()).toBe(0);
    succeed(b, 3);
    fail(b, 1);
    expect(b.errorRate()).toBe(0.25);
    advance(CONFIG.windowMs);
    expect(b.errorRate()).toBe(0);
  });
});

describe('CircuitBreaker consecutive failures', () => {
  it('opens after N failures in a row even when the window never reaches minRequests', () => {
    const { breaker: b } = breaker({ minRequests: 1000, consecutiveFailures: 3 });
    fail(b, 2);
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
  });

  it('a success in between resets the run', () => {
    const { breaker: b } = breaker({ minRequests: 1000, consecutiveFailures: 3 });
    fail(b, 2);
    b.recordSuccess();
    fail(b, 2);
    expect(b.state).toBe('closed');
  });
});

describe('CircuitBreaker forced changes (health probes, other cluster workers)', () => {
  it('forceOpen opens at once and half-opens after openMs as usual', () => {
    const { breaker: b, transitions, advance } = breaker();
    b.forceOpen();
    expect(b.state).toBe('open');
    expect(b.isAvailable()).toBe(false);
    advance(CONFIG.openMs);
    expect(b.state).toBe('half-open');
    expect(transitions).toEqual(['open', 'half-open']);
  });

  it('forceOpen(true) holds it open past openMs until forceClose', () => {
    const { breaker: b, transitions, advance } = breaker();
    b.forceOpen(true);
    advance(CONFIG.openMs * 100);
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    b.forceClose();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    expect(transitions).toEqual(['open', 'closed']);
  });

  it('a later forceOpen without hold lets it half-open again', () => {
    const { breaker: b, advance } = breaker();
    b.forceOpen(true);
    advance(CONFIG.openMs);
    b.forceOpen();
    advance(CONFIG.openMs);
    expect(b.state).toBe('half-open');
  });

  it('reopensInMs counts down to the half-open: 0 unless open, Infinity while held', () => {
    const { breaker: b, advance } = breaker();
    expect(b.reopensInMs).toBe(0);
    b.forceOpen();
    advance(200);
    expect(b.reopensInMs).toBe(CONFIG.openMs - 200);
    b.forceOpen(true);
    expect(b.reopensInMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('forceClose forgets the failures of the window', () => {
    const { breaker: b } = breaker();
    fail(b, 3);
    expect(b.errorRate()).toBe(1);
    b.forceOpen();
    b.forceClose();
    expect(b.errorRate()).toBe(0);
    b.recordFailure();
    expect(b.state).toBe('closed');
  });
});
