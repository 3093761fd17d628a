import { describe, expect, it } from 'vitest';
import { FAILURE_WINDOW_MS, LOCKOUT_MS, MAX_FAILURES, SignInGuard } from './sign-in-guard.js';

describe('SignInGuard', () => {
  it('locks an address out after MAX_FAILURES failures in the window, for LOCKOUT_MS', () => {
    let now = 1_000_000;
    const guard = new SignInGuard(() => now);
    for (let i = 1; i < MAX_FAILURES; i++) expect(guard.failed('10.0.0.1')).toBe(false);
    expect(guard.lockedFor('10.0.0.1')).toBe(0);
    expect(guard.failed('10.0.0.1')).toBe(true);
    expect(guard.lockedFor('10.0.0.1')).toBe(LOCKOUT_MS);
    expect(guard.lockedFor('10.0.0.2')).toBe(0);
    now += LOCKOUT_MS;
    expect(guard.lockedFor('10.0.0.1')).toBe(0);
  });

  it('forgets failures older than the window, and all of them after a success', () => {
    let now = 1_000_000;
    const guard = new SignInGuard(() => now);
    for (let i = 1; i < MAX_FAILURES; i++) guard.failed('a');
    now += FAILURE_WINDOW_MS + 1;
    expect(guard.failed('a')).toBe(false);
    for (let i = 2; i < MAX_FAILURES; i++) guard.failed('a');
    guard.succeeded('a');
    expect(guard.failed('a')).toBe(false);
    expect(guard.lockedFor('a')).toBe(0);
  });
});
