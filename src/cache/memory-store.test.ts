import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, MemoryCacheStore } from './memory-store.js';

const FOREVER = Number.POSITIVE_INFINITY;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MemoryCacheStore', () => {
  it('stays within memoryBytes under a flood of large values, evicting the oldest', () => {
    const memoryBytes = 1024 * 1024;
    const store = new MemoryCacheStore({ memoryBytes, maxEntryBytes: 64 * 1024 });
    const value = randomBytes(30 * 1024);
    for (let i = 0; i < 2_000; i++) {
      const tags = i % 2 === 0 ? [`0xblock${i}`, '0xshared'] : [];
      store.set(`key${i}`, { value, ttlMs: i % 3 === 0 ? 60_000 : FOREVER, tags });
      expect(store.calculatedSize).toBeLessThanOrEqual(memoryBytes);
    }
    // ~33 entries of ~31 KiB fit; the first ones are long gone, the newest are there.
    expect(store.size).toBeGreaterThan(20);
    expect(store.size).toBeLessThan(40);
    expect(store.get('key0')).toBeUndefined();
    expect(store.get('key1999')?.equals(value)).toBe(true);
    expect(store.stats.evictions).toBe(2_000 - store.size);
    // Evicted entries left the tag index: one tag per live tagged entry, plus the shared one.
    const taggedLive = Array.from({ length: 2_000 }, (_, i) => i).filter(
      (i) => i % 2 === 0 && store.remainingTtlMs(`key${i}`) > 0,
    ).length;
    expect(store.tagCount).toBe(taggedLive + 1);
    expect(store.invalidateTags(['0xshared'])).toBe(taggedLive);
    expect(store.tagCount).toBe(0);
  });

  it('counts keys and a fixed overhead per entry against memoryBytes', () => {
    const store = new MemoryCacheStore({ memoryBytes: 1024 * 1024, maxEntryBytes: 1024 });
    store.set('abc', { value: Buffer.alloc(100), ttlMs: FOREVER, tags: [] });
    expect(store.calculatedSize).toBe(100 + 3 + ENTRY_OVERHEAD_BYTES);
  });

  it('does not keep a value above maxEntryBytes, and drops the older value of that key', () => {
    const store = new MemoryCacheStore({ memoryBytes: 1024 * 1024, maxEntryBytes: 1024 });
    store.set('k', { value: Buffer.alloc(1024, 1), ttlMs: FOREVER, tags: ['0xa'] });
    expect(store.get('k')?.length).toBe(1024);
    store.set('k', { value: Buffer.alloc(1025, 2), ttlMs: FOREVER, tags: ['0xa'] });
    expect(store.get('k')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.tagCount).toBe(0);
  });

  it('does not keep a value with a TTL of 0', () => {
    const store = new MemoryCacheStore({ memoryBytes: 1024 * 1024, maxEntryBytes: 1024 });
    store.set('k', { value: Buffer.from('x'), ttlMs: 0, tags: [] });
    expect(store.get('k')).toBeUndefined();
  });

  it('removes an expired entry from the tag index once it is looked at', async () => {
    const store = new MemoryCacheStore({ memoryBytes: 1024 * 1024, maxEntryBytes: 1024 });
    store.set('k', { value: Buffer.from('x'), ttlMs: 30, tags: ['0xa'] });
    expect(store.tagCount).toBe(1);
    await sleep(80);
    expect(store.get('k')).toBeUndefined();
    expect(store.tagCount).toBe(0);
    expect(store.invalidateTags(['0xa'])).toBe(0);
  });

  it('reports the remaining TTL, Infinity for none', () => {
    const store = new MemoryCacheStore({ memoryBytes: 1024 * 1024, maxEntryBytes: 1024 });
    store.set('short', { value: Buffer.from('x'), ttlMs: 5_000, tags: [] });
    store.set('final', { value: Buffer.from('y'), ttlMs: FOREVER, tags: [] });
    expect(store.remainingTtlMs('short')).toBeGreaterThan(4_000);
    expect(store.remainingTtlMs('short')).toBeLessThanOrEqual(5_000);
    expect(store.remainingTtlMs('final')).toBe(FOREVER);
    expect(store.remainingTtlMs('absent')).toBe(0);
  });

  it('drops every tagged entry at once and keeps final data', () => {
    const store = new MemoryCacheStore({ memoryBytes: 1024 * 1024, maxEntryBytes: 1024 });
    store.set('a', { value: Buffer.from('a'), ttlMs: 5_000, tags: ['0xa'] });
    store.set('b', { value: Buffer.from('b'), ttlMs: 5_000, tags: ['0xb', '0xa'] });
    store.set('final', { value: Buffer.from('f'), ttlMs: FOREVER, tags: [] });
    expect(store.invalidateAllTagged()).toBe(2);
    expect(store.get('final')?.toString()).toBe('f');
    expect(store.size).toBe(1);
    expect(store.tagCount).toBe(0);
  });

  it('counts hits and misses', () => {
    const store = new MemoryCacheStore({ memoryBytes: 1024 * 1024, maxEntryBytes: 1024 });
    store.set('k', { value: Buffer.from('x'), ttlMs: FOREVER, tags: [] });
    store.get('k');
    store.get('k');
    store.get('other');
    expect(store.stats).toEqual({ hits: 2, misses: 1, evictions: 0 });
  });

  it('copies a value that is a view into a larger buffer, so it does not pin the rest', () => {
    const store = new MemoryCacheStore({ memoryBytes: 1024 * 1024, maxEntryBytes: 1024 });
    const big = randomBytes(64 * 1024);
    store.set('k', { value: big.subarray(100, 110), ttlMs: FOREVER, tags: [] });
    const held = store.get('k');
    expect(held?.equals(big.subarray(100, 110))).toBe(true);
    expect(held?.buffer.byteLength).toBe(10);
  });
});
