import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { displayPrefix, generateApiKey, hashApiKey, looksLikeApiKey } from './api-key-secret.js';
import { newId, randomBase62 } from './ids.js';

describe('API key secrets', () => {
  it('are tp_ and 32 base62 characters, different every time', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
    expect(keys.size).toBe(1000);
    for (const key of keys) {
      expect(key).toMatch(/^tp_[0-9A-Za-z]{32}$/);
      expect(looksLikeApiKey(key)).toBe(true);
    }
  });

  it('hash to hex SHA-256 and show only their first 8 characters', () => {
    const key = 'tp_3Fq9KabcdefghijklmnopqrstuvwxyzAB';
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(displayPrefix(key)).toBe('tp_3Fq9K');
  });

  it('shape check refuses anything else', () => {
    const good = generateApiKey();
    for (const bad of [
      '',
      'tp_',
      good.slice(0, -1),
      `${good}x`,
      `xp_${good.slice(3)}`,
      `${good.slice(0, -1)}-`,
    ])
      expect(looksLikeApiKey(bad)).toBe(false);
  });
});

describe('random base62', () => {
  it('uses every character about equally (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (const char of randomBase62(62_000)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // About 1000 each. Mapping all 256 byte values with `% 62` would give the first 8
    // characters 5/256 each against 4/256 (about 1210 against 970); the noise on the two
    // group means is about 12.
    const values = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, n]) => n);
    const firstEight = values.slice(0, 8).reduce((a, b) => a + b, 0) / 8;
    const rest = values.slice(8).reduce((a, b) => a + b, 0) / 54;
    expect(Math.abs(firstEight - rest)).toBeLessThan(80);
    for (const n of values) expect(n).toBeGreaterThan(850);
  });

  it('makes row ids with their kind as prefix', () => {
    expect(newId('prj')).toMatch(/^prj_[0-9A-Za-z]{16}$/);
    expect(newId('pln')).toMatch(/^pln_[0-9A-Za-z]{16}$/);
    expect(newId('key')).toMatch(/^key_[0-9A-Za-z]{16}$/);
  });
});
