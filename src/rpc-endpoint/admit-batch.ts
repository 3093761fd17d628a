/** Admission of a JSON-RPC batch as a whole, before any of its items runs (docs/tenancy.md). */
import type { RpcItem } from '../rpc/types.js';
import type { Access } from '../tenancy/access.js';

/**
 * Credits and quota for the whole batch before any item runs: a batch that would overdraw is
 * refused as a whole (402, nothing forwarded), each of its items metered as refused.
 */
export function admitBatch(access: Access, items: readonly RpcItem[]): void {
  const methods: string[] = [];
  for (const item of items) if (item.ok) methods.push(item.request.method);
  const refusal = access.admitBatch(methods);
  if (refusal === undefined) return;
  for (const method of methods) access.record(method, refusal.code, 0);
  throw refusal;
}
