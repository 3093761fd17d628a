/**
 * One fee quote shared by every key worker, refreshed at most every `maxAgeMs`: asking the
 * node for fees before each of hundreds of batches a second would double the RPC load.
 */
import type { FeeQuote, RelayerChain } from '../chains/chain.js';

export class FeeOracle {
  private quote: FeeQuote | undefined;
  private fetchedAt = 0;
  private pending: Promise<FeeQuote> | undefined;

  constructor(
    private readonly chain: RelayerChain,
    private readonly maxAgeMs = 2_000,
  ) {}

  async current(): Promise<FeeQuote> {
    if (this.quote !== undefined && Date.now() - this.fetchedAt < this.maxAgeMs) return this.quote;
    this.pending ??= this.chain
      .fees()
      .then((quote) => {
        this.quote = quote;
        this.fetchedAt = Date.now();
        return quote;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

/** Fees for a replacement: the current quote, but never less than `percent` above the old fees. */
export function bumpedFees(old: FeeQuote, current: FeeQuote, percent: number): FeeQuote {
  const scale = BigInt(Math.ceil(percent * 100));
  const bump = (value: bigint) => value + (value * scale + 9_999n) / 10_000n;
  const max = (a: bigint, b: bigint) => (a > b ? a : b);
  return {
    maxFeePerGas: max(bump(old.maxFeePerGas), current.maxFeePerGas),
    maxPriorityFeePerGas: max(bump(old.maxPriorityFeePerGas), current.maxPriorityFeePerGas),
  };
}
