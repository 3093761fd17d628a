/**
 * What one request costs, in compute units (CU): roughly the work it makes a node do. Credits
 * and compute-unit quotas are counted in CU. The prices are stated in the method tables
 * (src/rpc/methods/evm-methods.ts, near-methods.ts); a plan's `computeUnits` map overrides any entry; methods
 * not listed cost DEFAULT_COMPUTE_UNITS.
 */
import { EVM_METHODS } from '../rpc/methods/evm-methods.js';
import { DEFAULT_COMPUTE_UNITS, type MethodTable } from '../rpc/methods/method-table.js';
import { NEAR_METHODS } from '../rpc/methods/near-methods.js';

export { DEFAULT_COMPUTE_UNITS };

function pricesOf(table: MethodTable): Record<string, number> {
  const prices: Record<string, number> = {};
  for (const [method, entry] of table.entries) if (entry.pricedByName) prices[method] = entry.units;
  return prices;
}

/**
 * Built-in weights, gathered once at start-up. Every name here is metered under its own name
 * (names in no table are metered as `other`, so callers cannot grow the usage table at will).
 */
export const BUILTIN_COMPUTE_UNITS: Readonly<Record<string, number>> = {
  ...pricesOf(EVM_METHODS),
  // NEAR's names (`status`, `block`, `query`, …) do not overlap the EVM's.
  ...pricesOf(NEAR_METHODS),
  // The relayer API's POST, per transfer stored (src/relayer/api/relayer-access.ts).
  relayer_transfers: DEFAULT_COMPUTE_UNITS,
};

/** One plan's price list: built-ins overlaid with the plan's own weights. */
export class ComputeUnitTable {
  private readonly weights: Map<string, number>;

  constructor(overrides: Readonly<Record<string, number>> = {}) {
    this.weights = new Map(Object.entries(BUILTIN_COMPUTE_UNITS));
    for (const [method, units] of Object.entries(overrides)) this.weights.set(method, units);
  }

  cost(method: string): number {
    return this.weights.get(method) ?? DEFAULT_COMPUTE_UNITS;
  }

  /** Every method the table prices by name. */
  names(): IterableIterator<string> {
    return this.weights.keys();
  }
}
