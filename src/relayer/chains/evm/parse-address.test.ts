import { describe, expect, it } from 'vitest';
import { parseEvmAddress } from './parse-address.js';

const CHECKSUMMED = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const LOWER = CHECKSUMMED.toLowerCase();

describe('parseEvmAddress', () => {
  it('accepts lowercase, uppercase and checksummed addresses, answering lowercase', () => {
    expect(parseEvmAddress(LOWER)).toBe(LOWER);
    expect(parseEvmAddress(`0x${LOWER.slice(2).toUpperCase()}`)).toBe(LOWER);
    expect(parseEvmAddress(CHECKSUMMED)).toBe(LOWER);
    // Digits only: no letters, so no checksum to check.
    expect(parseEvmAddress(`0x${'1234567890'.repeat(4)}`)).toBe(`0x${'1234567890'.repeat(4)}`);
  });

  it('refuses mixed case with a wrong checksum', () => {
    const flipped = CHECKSUMMED.replace('F6F4', 'f6F4');
    expect(parseEvmAddress(flipped)).toBeUndefined();
  });

  it('refuses what is not 0x + 40 hex digits', () => {
    for (const text of [
      '',
      '0x',
      LOWER.slice(0, 41),
      `${LOWER}0`,
      LOWER.slice(2),
      `0X${LOWER.slice(2)}`,
      `${LOWER.slice(0, 41)}g`,
      ` ${LOWER}`,
    ])
      expect(parseEvmAddress(text)).toBeUndefined();
  });
});
