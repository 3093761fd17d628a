import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelSignal, startAttempt } from './timeout.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('startAttempt', () => {
  it('aborts its signal when the timeout passes and says so', () => {
    vi.useFakeTimers();
    const attempt = startAttempt(100);
    vi.advanceTimersByTime(99);
    expect(attempt.signal.aborted).toBe(false);
    expect(attempt.timedOut).toBe(false);
    vi.advanceTimersByTime(1);
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.timedOut).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('done() clears the timer: nothing outlives the attempt', () => {
    vi.useFakeTimers();
    const attempt = startAttempt(100);
    expect(vi.getTimerCount()).toBe(1);
    attempt.done();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(attempt.signal.aborted).toBe(false);
  });

  it('abort() cancels without counting as a timeout', () => {
    vi.useFakeTimers();
    const attempt = startAttempt(100);
    const reason = new Error('hedge lost');
    attempt.abort(reason);
    attempt.done();
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.signal.reason).toBe(reason);
    expect(attempt.timedOut).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('abort() calls the registered listener once and then forgets it', () => {
    const signal = new CancelSignal();
    let calls = 0;
    const listener = () => {
      calls++;
    };
    signal.on('abort', listener);
    signal.abort('first');
    signal.abort('second');
    expect(calls).toBe(1);
    expect(signal.reason).toBe('first');
    const removed = new CancelSignal();
    removed.on('abort', listener);
    removed.removeListener('abort', listener);
    removed.abort('x');
    expect(calls).toBe(1);
    expect(removed.aborted).toBe(true);
  });
});
