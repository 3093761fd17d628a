import { describe, expect, it } from 'vitest';
import { LatencyTracker, PENALTY_HALF_LIFE_MS, STALE_HALF_LIFE_MS } from './latency-tracker.js';

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

  it('penalize() raises the cost, not the EWMA, and never lowers a larger penalty', () => {
    const tracker = new LatencyTracker(0.9, 0.1, 10, () => 0);
    tracker.penalize(30);
    expect(tracker.ewmaMs).toBe(10);
    expect(tracker.costMs()).toBe(40);
    tracker.penalize(5);
    expect(tracker.penaltyMs()).toBe(30);
    expect(tracker.samples).toBe(0);
  });

  it('the penalty halves every half-life, so a recovered upstream earns its way back without traffic', () => {
    let now = 0;
    const tracker = new LatencyTracker(0.9, 0.1, 10, () => now);
    tracker.penalize(1000);
    now = PENALTY_HALF_LIFE_MS;
    expect(tracker.penaltyMs()).toBeCloseTo(500, 6);
    now = 2 * PENALTY_HALF_LIFE_MS;
    expect(tracker.penaltyMs()).toBeCloseTo(250, 6);
    now = 40 * PENALTY_HALF_LIFE_MS;
    expect(tracker.penaltyMs()).toBeCloseTo(0, 6);
  });

  it('a stale estimate fades from the cost, and the next sample mostly replaces it', () => {
    let now = 0;
    const tracker = new LatencyTracker(0.9, 0.1, 100, () => now);
    expect(tracker.costMs()).toBe(100);
    now = 2 * STALE_HALF_LIFE_MS;
    expect(tracker.costMs()).toBeCloseTo(25, 6);
    // Two half-lives old: the old estimate keeps a quarter of the weight.
    tracker.record(4);
    expect(tracker.ewmaMs).toBeCloseTo(0.25 * 100 + 0.75 * 4, 6);
    // A fresh estimate keeps the usual 1 − alpha.
    tracker.record(4);
    expect(tracker.ewmaMs).toBeCloseTo(0.9 * 28 + 0.1 * 4, 6);
  });

  it('a success sheds half of the current penalty', () => {
    const tracker = new LatencyTracker(0.9, 0.1, 10, () => 0);
    tracker.penalize(100);
    tracker.record(10);
    expect(tracker.penaltyMs()).toBe(50);
    expect(tracker.costMs()).toBe(60);
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
