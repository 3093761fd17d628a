/**
 * The built-in cache policy of every method that has one, gathered once at start-up from the
 * method table (src/rpc/methods/evm-methods.ts states it; this folder interprets it).
 */
import { EVM_METHODS } from '../rpc/methods/evm-methods.js';
import type { CachePolicy, MethodTable } from '../rpc/methods/method-table.js';

function cachePolicies(table: MethodTable): ReadonlyMap<string, CachePolicy> {
  const policies = new Map<string, CachePolicy>();
  for (const [method, entry] of table.entries)
    if (entry.cache !== undefined) policies.set(method, entry.cache);
  return policies;
}

export const METHOD_SPECS: ReadonlyMap<string, CachePolicy> = cachePolicies(EVM_METHODS);
