/**
 * One conformance suite for every `CacheStore` (memory, Redis, tiered): what the network cache
 * relies on, on the real clock. Timing checks poll with generous bounds instead of sleeping an
 * exact TTL, so a slow machine makes them slower, never flaky.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheStore, CacheWrite } from '../../src/cache/cache-store.js';

export interface CacheStoreFixture {
  store: CacheStore;
  /** Closes the store and removes whatever it left behind (Redis keys). */
  close(): Promise<void>;
}

const FOREVER = Number.POSITIVE_INFINITY;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it is true or `timeoutMs` passes; returns the last answer. */
async function eventually(probe: () => Promise<boolean>, timeoutMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(20);
  }
  return probe();
}

export function describeCacheStore(name: string, create: () => Promise<CacheStoreFixture>): void {
  describe(`CacheStore conformance: ${name}`, () => {
    let fixture: CacheStoreFixture;
    // Unique keys and tags per test: nothing leaks between cases or runs.
    let id: string;
    beforeEach(async () => {
      fixture = await create();
      id = randomBytes(4).toString('hex');
    });
    afterEach(async () => {
      await fixture.close();
    });

    const key = (name: string) => `${id}:${name}`;
    const tag = (name: string) => `0x${id}${name}`;
    const get = (name: string) => Promise.resolve(fixture.store.get(key(name)));
    const set = (name: string, write: Partial<CacheWrite> & { value: Buffer }) =>
      Promise.resolve(fixture.store.set(key(name), { ttlMs: FOREVER, tags: [], ...write }));
    const invalidate = (...names: string[]) => Promise.resolve(fixture.store.invalidateTags(names.map(tag)));
    const text = (value: string) => Buffer.from(value);

    it('returns what was set', async () => {
      await set('a', { value: text('{"number":"0x10"}') });
      expect((await get('a'))?.toString()).toBe('{"number":"0x10"}');
    });

    it('misses an unknown key', async () => {
      expect(await get('never-set')).toBeUndefined();
    });

    it('keeps an empty value as a hit, not a miss', async () => {
      await set('empty', { value: Buffer.alloc(0) });
      expect((await get('empty'))?.length).toBe(0);
    });

    it('overwrites a value', async () => {
      await set('a', { value: text('"old"') });
      await set('a', { value: text('"new"') });
      expect((await get('a'))?.toString()).toBe('"new"');
    });

    it('expires an entry after its TTL, and not before', async () => {
      await set('short', { value: text('1'), ttlMs: 100 });
      await set('long', { value: text('2'), ttlMs: 60_000 });
      expect((await get('short'))?.toString()).toBe('1');
      expect(await eventually(async () => (await get('short')) === undefined)).toBe(true);
      expect((await get('long'))?.toString()).toBe('2');
    });

    it('keeps an entry with an infinite TTL', async () => {
      await set('forever', { value: text('"final"'), ttlMs: FOREVER });
      await sleep(150);
      expect((await get('forever'))?.toString()).toBe('"final"');
    });

    it('drops only the entries carrying an invalidated tag, and counts them', async () => {
      await set('a', { value: text('a'), tags: [tag('x')], ttlMs: 60_000 });
      await set('b', { value: text('b'), tags: [tag('x'), tag('y')], ttlMs: 60_000 });
      await set('c', { value: text('c'), tags: [tag('y')], ttlMs: 60_000 });
      await set('d', { value: text('d'), tags: [tag('z')], ttlMs: 60_000 });
      await set('final', { value: text('f') });

      expect(await invalidate('x')).toBe(2);
      expect(await get('a')).toBeUndefined();
      expect(await get('b')).toBeUndefined();
      expect((await get('c'))?.toString()).toBe('c');
      expect((await get('d'))?.toString()).toBe('d');
      expect((await get('final'))?.toString()).toBe('f');

      expect(await invalidate('y', 'z', 'unknown')).toBe(2);
      expect(await get('c')).toBeUndefined();
      expect(await get('d')).toBeUndefined();
      expect((await get('final'))?.toString()).toBe('f');
      expect(await invalidate('x')).toBe(0);
    });

    it('counts an entry once when several of its tags are invalidated together', async () => {
      await set('a', { value: text('a'), tags: [tag('p'), tag('q')], ttlMs: 60_000 });
      expect(await invalidate('p', 'q')).toBe(1);
      expect(await get('a')).toBeUndefined();
    });

    it('answers 0 for no tags at all', async () => {
      await set('a', { value: text('a'), tags: [tag('x')], ttlMs: 60_000 });
      expect(await invalidate()).toBe(0);
      expect((await get('a'))?.toString()).toBe('a');
    });

    it('moves the tags of an overwritten key', async () => {
      await set('k', { value: text('old'), tags: [tag('old')], ttlMs: 60_000 });
      await set('k', { value: text('new'), tags: [tag('new')], ttlMs: 60_000 });
      expect(await invalidate('old')).toBe(0);
      expect((await get('k'))?.toString()).toBe('new');
      expect(await invalidate('new')).toBe(1);
      expect(await get('k')).toBeUndefined();
    });

    it('keeps a key rewritten without tags out of its old tags', async () => {
      await set('k', { value: text('unfinal'), tags: [tag('old')], ttlMs: 60_000 });
      await set('k', { value: text('final') });
      expect(await invalidate('old')).toBe(0);
      expect((await get('k'))?.toString()).toBe('final');
    });

    it('round-trips every byte value exactly', async () => {
      const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
      await set('binary', { value: bytes });
      expect((await get('binary'))?.equals(bytes)).toBe(true);
    });

    it('round-trips large values (1 MiB), incompressible and compressible', async () => {
      const random = randomBytes(1024 * 1024);
      const repetitive = Buffer.from('{"address":"0x00","topics":[]},'.repeat(33_825)).subarray(
        0,
        1024 * 1024,
      );
      await set('random', { value: random });
      await set('repetitive', { value: repetitive });
      expect((await get('random'))?.equals(random)).toBe(true);
      expect((await get('repetitive'))?.equals(repetitive)).toBe(true);
    });

    it('keys that differ only in a long tail stay apart', async () => {
      const long = `eth_call:[{"to":"0xabc","data":"0x${'00'.repeat(400)}`;
      await set(`${long}1"}]`, { value: text('one') });
      await set(`${long}2"}]`, { value: text('two') });
      expect((await get(`${long}1"}]`))?.toString()).toBe('one');
      expect((await get(`${long}2"}]`))?.toString()).toBe('two');
    });
  });
}
