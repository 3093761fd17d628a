/**
 * Which answers depend on `latest`, and how to tell the block an answer reflects: the head
 * itself (eth_blockNumber), a block's own number (eth_getBlockByNumber at the tip), or state at
 * the answering upstream's head (balance, nonce, call, code, storage, logs to the tip, …).
 */
import { METHOD_SPECS } from '../../cache/policy-methods.js';
import type { RpcRequest } from '../../rpc/types.js';

export const LatestRead = {
  None: 0,
  /** The result is the head's number. */
  Head: 1,
  /** The result is a block object with its `number`. */
  Block: 2,
  /** The result is state at the answering upstream's head. */
  State: 3,
} as const;
export type LatestRead = (typeof LatestRead)[keyof typeof LatestRead];

/** A missing block parameter means `latest`; `pending` builds on it. */
export function isTipTag(ref: unknown): boolean {
  return ref === undefined || ref === 'latest' || ref === 'pending';
}

export function latestRead(request: RpcRequest): LatestRead {
  const method = request.method;
  if (method === 'eth_blockNumber') return LatestRead.Head;
  const spec = METHOD_SPECS.get(method);
  if (spec === undefined) return LatestRead.None;
  const params = Array.isArray(request.params) ? (request.params as unknown[]) : undefined;
  if (spec.kind === 'ref') {
    if (!isTipTag(params?.[spec.index ?? 0])) return LatestRead.None;
    return method === 'eth_getBlockByNumber' ? LatestRead.Block : LatestRead.State;
  }
  if (spec.kind === 'logs') {
    const filter = params?.[0] as { blockHash?: unknown; toBlock?: unknown } | null | undefined;
    if (filter === null || typeof filter !== 'object' || filter.blockHash !== undefined)
      return LatestRead.None;
    return isTipTag(filter.toBlock) ? LatestRead.State : LatestRead.None;
  }
  return LatestRead.None;
}

/** A `0x` quantity as a number; -1 when it is not one. */
export function quantity(value: unknown): number {
  if (typeof value !== 'string' || !value.startsWith('0x')) return -1;
  const parsed = Number.parseInt(value, 16);
  return Number.isSafeInteger(parsed) ? parsed : -1;
}

const NUMBER_FIELD = '"number":"0x';

/**
 * The `number` of a block answer without parsing the whole block: the block's own field is
 * the only key spelled exactly `"number"` (transactions and logs say `blockNumber`).
 */
export function blockNumberInBody(body: Buffer | string): number {
  const text = typeof body === 'string' ? body : body.toString('latin1');
  const at = text.indexOf(NUMBER_FIELD);
  if (at === -1) return -1;
  const start = at + NUMBER_FIELD.length;
  const end = text.indexOf('"', start);
  return end === -1 ? -1 : quantity(`0x${text.slice(start, end)}`);
}

/** The `result` of a small answer body (eth_blockNumber, a receipt); undefined when absent. */
export function resultOf(body: Buffer | string): unknown {
  try {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    return (JSON.parse(text) as { result?: unknown }).result;
  } catch {
    return undefined;
  }
}
