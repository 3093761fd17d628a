import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { methodFacts } from '../../../test/support/method-facts.js';
import { BUILTIN_COMPUTE_UNITS } from '../../tenancy/compute-units.js';
import { isMethodName } from '../method-labels.js';
import { EVM_METHODS } from './evm-methods.js';
import { NEAR_METHODS } from './near-methods.js';
import { ruleFor } from './rules.js';

/** Taken from main's code before the table existed (cache policy, rules, network, tenancy). */
const BEFORE = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/method-facts.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

describe('EVM method table', () => {
  it('derives the same facts as before for every method known then, and knows no other', () => {
    const names = new Set([
      ...Object.keys(BEFORE),
      ...EVM_METHODS.entries.keys(),
      // NEAR's names are priced too (near-methods.test.ts); they are no EVM facts.
      ...Object.keys(BUILTIN_COMPUTE_UNITS).filter((method) => !NEAR_METHODS.entries.has(method)),
    ]);
    expect(methodFacts(names, (method) => ruleFor(method).local)).toEqual(BEFORE);
  });

  it('gives unknown methods the defaults: hedged, retried, 20 CU metered as other, not cached', () => {
    const entry = ruleFor('foo_unknownMethod');
    expect(entry).toBe(EVM_METHODS.unknown);
    expect(entry).toMatchObject({ hedge: true, retry: true, units: 20, pricedByName: false });
    expect(entry.cache).toBeUndefined();
    expect(entry.local).toBeUndefined();
  });

  it('names only well-formed methods, each entry with the same keys', () => {
    const keys = Object.keys(EVM_METHODS.unknown);
    for (const [method, entry] of EVM_METHODS.entries) {
      expect(isMethodName(method), method).toBe(true);
      expect(Object.keys(entry)).toEqual(keys);
    }
  });

  it('makes writes unhedged; only a write the node may not repeat is not retried', () => {
    expect(ruleFor('eth_sendRawTransaction')).toMatchObject({
      write: 'idempotent',
      hedge: false,
      retry: true,
    });
    expect(ruleFor('eth_sendTransaction')).toMatchObject({ write: 'once', hedge: false, retry: false });
  });
});
