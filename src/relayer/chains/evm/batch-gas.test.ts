import { describe, expect, it } from 'vitest';
import { GAS_BATCH_OVERHEAD, GAS_PER_TRANSFER, maxTransfersUnder, withGasMargin } from './batch-gas.js';

describe('batch gas', () => {
  it('pads the estimate by 20 %, rounding up', () => {
    expect(withGasMargin(100_000n)).toBe(120_000n);
    expect(withGasMargin(1n)).toBe(2n);
    expect(withGasMargin(21_001n)).toBe(25_202n);
  });

  it('sizes a batch so that its padded gas fits the cap', () => {
    for (const cap of [15_000_000n, 30_000_000n, 1_000_000n]) {
      const n = BigInt(maxTransfersUnder(cap));
      expect(withGasMargin(GAS_BATCH_OVERHEAD + n * GAS_PER_TRANSFER)).toBeLessThanOrEqual(cap);
      expect(withGasMargin(GAS_BATCH_OVERHEAD + (n + 1n) * GAS_PER_TRANSFER)).toBeGreaterThan(cap);
    }
    expect(maxTransfersUnder(15_000_000n)).toBe(461);
  });

  it('is zero when not even one transfer fits', () => {
    expect(maxTransfersUnder(0n)).toBe(0);
    expect(maxTransfersUnder(50_000n)).toBe(0);
  });
});
