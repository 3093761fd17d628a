import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMethodName, MethodLabels, OTHER_METHOD } from './method-labels.js';

/** What `isMethodName` must agree with (this pattern is fine on the 1–65 characters it sees). */
const REFERENCE = /^[A-Za-z0-9_]{1,64}$/;

describe('isMethodName', () => {
  it('accepts 1–64 characters of A–Z, a–z, 0–9 and _, and nothing else', () => {
    expect(isMethodName('eth_call')).toBe(true);
    expect(isMethodName('x'.repeat(64))).toBe(true);
    expect(isMethodName('x'.repeat(65))).toBe(false);
    expect(isMethodName('')).toBe(false);
    for (const bad of ['eth.call', 'eth call', 'eth-call', 'eth_cäll', 'eth_call\n', '\u0000']) {
      expect(isMethodName(bad)).toBe(false);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: 'binary' }), (name) => {
        expect(isMethodName(name)).toBe(name.length <= 65 && REFERENCE.test(name));
      }),
      { seed: 7, numRuns: 2_000 },
    );
  });
});

describe('MethodLabels', () => {
  it('keeps known names, and with a cap of 0 labels every other name `other`', () => {
    const labels = new MethodLabels(0, new Set(['eth_call', 'getBalance']));
    expect(labels.label('eth_call')).toBe('eth_call');
    expect(labels.label('getBalance')).toBe('getBalance');
    expect(labels.isKnown('eth_call')).toBe(true);
    expect(labels.isKnown('x_unknown1')).toBe(false);
    for (let i = 0; i < 500; i++) expect(labels.label(`x_unknown${i}`)).toBe(OTHER_METHOD);
  });

  it('gives the first `cap` well-formed names their own label', () => {
    const labels = new MethodLabels(2);
    expect(labels.label('eth_a')).toBe('eth_a');
    expect(labels.label('eth_b')).toBe('eth_b');
    expect(labels.label('eth_c')).toBe(OTHER_METHOD);
    expect(labels.label('eth_a')).toBe('eth_a');
  });
});
