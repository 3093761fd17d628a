/** The pipeline's lookup: a method's entry in its chain family's table (one Map get). */
import { EVM_METHODS } from './evm-methods.js';
import type { ChainFamily, MethodEntry, MethodTable } from './method-table.js';
import { NEAR_METHODS } from './near-methods.js';

const { entries, unknown } = EVM_METHODS;

/** An EVM method's entry. */
export function ruleFor(method: string): MethodEntry {
  return entries.get(method) ?? unknown;
}

/** The method table of a chain family (a network's `type`). */
export function methodsOf(family: ChainFamily): MethodTable {
  return family === 'near' ? NEAR_METHODS : EVM_METHODS;
}

/** Every method some table names: they keep their own metric label. */
export const BUILTIN_METHOD_NAMES: ReadonlySet<string> = new Set([
  ...EVM_METHODS.entries.keys(),
  ...NEAR_METHODS.entries.keys(),
]);
