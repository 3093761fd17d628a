/** Builds response bytes. Upstream results are passed through as raw bytes wherever possible. */
import type { GatewayError } from '../errors/gateway-error.js';
import type { RpcId } from './types.js';

export function errorResponse(id: RpcId, error: GatewayError): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: error.toRpcError() });
}

export function resultResponse(id: RpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Joins the raw response entries of a batch into one JSON array. */
export function joinBatch(entries: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN];
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(entries[i]!);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
