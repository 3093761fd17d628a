import { describe, expect, it } from 'vitest';
import { LatencyTracker } from './latency-tracker.js';

describe('LatencyTracker', () => {
  it('starts at the initial EWMA and moves toward each sample by alpha', () => {
    const tracker = new LatencyTracker(0.9, 0.1, 10);
    expect(tracker.ewmaMs).toBe(10);
    tracker.record(110);
    expect(tracker.ewmaMs).toBeCloseTo(20, 10);
    tracker.record(20);
    expect(tracker.ewmaMs).toBeCloseTo(20, 10);
    tracker.record(0);
    expect(tracker.ewmaMs).toBeCloseTo(18, 10);
    expect(tracker.samples).toBe(3);
  });

  it('converges on a steady latency, up and down', () => {
    const tracker = new LatencyTracker();
    for (let i = 0; i < 200; i++) tracker.record(50);
    expect(tracker.ewmaMs).toBeGreaterThan(49.9);
    expect(tracker.ewmaMs).toBeLessThanOrEqual(50);
    for (let i = 0; i < 200; i++) tracker.record(2);
    expect(tracker.ewmaMs).toBeGreaterThanOrEqual(2);
    expect(tracker.ewmaMs).toBeLessThan(2.1);
  });

  it('penalize() only ever raises the EWMA, halfway toward the penalty', () => {
    const tracker = new LatencyTracker(0.9, 0.1, 10);
    tracker.penalize(5);
    expect(tracker.ewmaMs).toBe(10);
    tracker.penalize(30);
    expect(tracker.ewmaMs).toBe(20);
    expect(tracker.samples).toBe(0);
  });

  it('has no quantile before 8 samples', () => {
    const tracker = new LatencyTracker(0.9);
    for (let i = 0; i < 7; i++) tracker.record(i);
    expect(tracker.quantileMs()).toBeUndefined();
    tracker.record(7);
    expect(tracker.quantileMs()).toBe(7);
  });

  it('reports the configured quantile of the recent samples (numeric order)', () => {
    const tracker = new LatencyTracker(0.9);
    // Shuffled 1..100, including values whose string order differs from numeric order.
    const values = Array.from({ length: 100 }, (_, i) => i + 1).sort(
      (a, b) => ((a * 37) % 101) - ((b * 37) % 101),
    );
    for (const value of values) tracker.record(value);
    expect(tracker.quantileMs()).toBe(91);
    const median = new LatencyTracker(0.5);
    for (const value of values) median.record(value);
    expect(median.quantileMs()).toBe(51);
  });

  it('forgets samples older than its ring, so the quantile follows a change', () => {
    const tracker = new LatencyTracker(0.9);
    for (let i = 0; i < 300; i++) tracker.record(1000);
    expect(tracker.quantileMs()).toBe(1000);
    for (let i = 0; i < 256; i++) tracker.record(3);
    expect(tracker.quantileMs()).toBe(3);
  });
});
