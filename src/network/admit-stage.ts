/**
 * Admission (docs/tenancy.md): plan, credits, quota and rate limit, per JSON-RPC item — a batch's
 * credits and quota first for the batch as a whole. No Access (tenancy off) admits everything.
 */
import type { GatewayError } from '../errors/gateway-error.js';
import type { RpcItem } from '../rpc/types.js';
import type { Access } from '../tenancy/access.js';

/** undefined = admitted; a GatewayError = refused; a promise with a Redis rate limiter. */
export function admit(
  access: Access | undefined,
  method: string,
): GatewayError | undefined | Promise<GatewayError | undefined> {
  return access === undefined ? undefined : access.admit(method);
}

/**
 * Credits and quota for the whole batch before any item runs: a batch that would overdraw is
 * refused as a whole (402, nothing forwarded), each of its items metered as refused.
 */
export function admitBatch(access: Access | undefined, items: readonly RpcItem[]): void {
  if (access === undefined) return;
  const methods: string[] = [];
  for (const item of items) if (item.ok) methods.push(item.request.method);
  const refusal = access.admitBatch(methods);
  if (refusal === undefined) return;
  for (const method of methods) access.record(method, refusal.code, 0);
  throw refusal;
}
