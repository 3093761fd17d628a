import { describe, expect, it } from 'vitest';
import { relayerId } from './sql-relayer-rows.js';

describe('relayerId', () => {
  it('is the kind, then 20 base62 characters: 7 of creation time, 13 random', () => {
    const t = Date.UTC(2026, 10, 22, 23, 59, 59, 999);
    const a = relayerId('tr', t);
    const b = relayerId('tr', t);
    expect(a).toMatch(/^tr_[0-9A-Za-z]{20}$/);
    expect(a.slice(0, 10)).toBe(b.slice(0, 10));
    expect(a.slice(10)).not.toBe(b.slice(10));
  });

  it('sorts as text in creation order, across digit carries and years', () => {
    const times = [
      Date.UTC(2024, 0, 1),
      Date.UTC(2024, 0, 1) + 1,
      Date.UTC(2024, 0, 1) + 61,
      Date.UTC(2024, 0, 1) + 62,
      Date.UTC(2026, 10, 22),
      Date.UTC(2080, 0, 1),
    ];
    const ids = times.map((t) => relayerId('rq', t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids.map((id) => id.slice(3, 10))).size).toBe(times.length);
  });
});
