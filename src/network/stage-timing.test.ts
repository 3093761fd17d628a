import { describe, expect, it } from 'vitest';
import { StageTiming } from './stage-timing.js';

describe('StageTiming.header', () => {
  it('names every stage with its duration in ms, three decimals', () => {
    const timing = new StageTiming();
    timing.readMs = 0.0004;
    timing.parseMs = 0.05;
    timing.selectMs = 1;
    timing.upstreamMs = 12.3456789;
    expect(timing.header(123456.7891)).toBe(
      'read;dur=0.000, parse;dur=0.050, select;dur=1.000, upstream;dur=12.346, total;dur=123456.789',
    );
  });

  it('names only read, auth, cache and total for a known-shape hit (it had no other stage)', () => {
    const timing = new StageTiming();
    timing.knownHit = true;
    timing.readMs = 0.012;
    timing.cacheMs = 0.0031;
    expect(timing.header(0.03)).toBe('read;dur=0.012, cache;dur=0.003, total;dur=0.030');
    timing.authMs = 0.5;
    expect(timing.header(0.53)).toBe('read;dur=0.012, auth;dur=0.500, cache;dur=0.003, total;dur=0.530');
  });

  it('keeps a negative or non-finite duration readable instead of garbling it', () => {
    const timing = new StageTiming();
    timing.readMs = -0.25;
    expect(timing.header(Number.NaN)).toBe(
      'read;dur=-0.250, parse;dur=0.000, select;dur=0.000, upstream;dur=0.000, total;dur=NaN',
    );
  });
});
