/**
 * Requests Turnpike makes itself through a network's pipeline (the relayer's calls, the feed's
 * reads, the chain tracker's block reads): how they are built and how their answers are read.
 */
import type { BlockHeader } from '../cache/chain-view.js';
import type { CachedResult } from '../cache/network-cache.js';
import { RpcAnswerError } from '../rpc/rpc-answer-error.js';
import type { RpcRequest } from '../rpc/types.js';
import type { ForwardTiming } from '../upstream/forward-result.js';
import type { ForwardOptions } from './forward.js';

/** JSON-RPC params: positional (EVM, some NEAR methods) or named (most NEAR methods). */
export type RpcParams = readonly unknown[] | Readonly<Record<string, unknown>>;

/** Stage timings of internal requests nobody reads (a fresh copy per request). */
export function untimed(): ForwardTiming {
  return { selectMs: 0, upstreamMs: 0, attempts: 0, upstream: undefined, cacheMs: undefined };
}

/** A read of data Turnpike knows exists: an error answer is that node's failure. */
export const READ: ForwardOptions = { rpcErrorFails: true };

export function ownRequest(method: string, params: RpcParams): RpcRequest {
  const raw = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  return { id: 1, method, params, raw };
}

/** The result of a `Network.call`; throws its GatewayError, or an RpcAnswerError for an error answer. */
export function callResult(method: string, result: CachedResult): unknown {
  if (!result.ok) throw result.error;
  if (!result.rpcError && result.parsed === true) return result.result;
  const text = typeof result.body === 'string' ? result.body : result.body.toString('utf8');
  const answer = JSON.parse(text) as { result?: unknown; error?: { code?: unknown; message?: unknown } };
  if (result.rpcError || answer.error !== undefined) throw new RpcAnswerError(method, answer.error ?? {});
  return answer.result;
}

export function parseResult(body: Buffer | string): unknown {
  try {
    return (JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as { result?: unknown })
      .result;
  } catch {
    return undefined;
  }
}

export function blockHeader(block: unknown): BlockHeader | undefined {
  if (block === null || typeof block !== 'object') return undefined;
  const { number, hash, parentHash } = block as { number?: unknown; hash?: unknown; parentHash?: unknown };
  if (typeof number !== 'string' || typeof hash !== 'string' || typeof parentHash !== 'string')
    return undefined;
  const parsed = Number.parseInt(number, 16);
  if (!Number.isSafeInteger(parsed)) return undefined;
  return { number: parsed, hash: hash.toLowerCase(), parentHash: parentHash.toLowerCase() };
}

/**
 * Notifications still execute upstream; a synthetic id lets us see whether they succeeded.
 * Numeric ids like 2^64 or 1e2 get one too (many nodes reject them); rpc-route splices the
 * original back. String ids go as sent.
 */
export function upstreamBody(request: RpcRequest): Buffer | string {
  const synthetic =
    request.id === undefined || (request.rawId !== undefined && typeof request.id === 'number');
  if (!synthetic) return request.raw;
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 'turnpike-notification',
    method: request.method,
    params: request.params,
  });
}
