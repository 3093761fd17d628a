/** The pipeline's lookup: a method's entry in its chain family's table (one Map get). */
import { EVM_METHODS } from './evm-methods.js';
import type { MethodEntry } from './method-table.js';

const { entries, unknown } = EVM_METHODS;

export function ruleFor(method: string): MethodEntry {
  return entries.get(method) ?? unknown;
}
