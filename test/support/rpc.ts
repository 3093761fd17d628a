/** Tiny JSON-RPC client for tests, over undici `request` (real sockets, keep-alive via the dispatcher). */
import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, request } from 'undici';

export interface RpcInit {
  /** JSON-RPC id. @default 1 */
  id?: number | string;
  headers?: Record<string, string>;
  /** Deadline for the whole exchange; rejects with a DOMException named `TimeoutError`. */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export interface RpcResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed body; undefined when the body is not JSON. */
  body: unknown;
}

/** POSTs any JSON payload (single request or batch) and reads the whole response. */
export async function postJson(url: string, payload: unknown, init: RpcInit = {}): Promise<RpcResponse> {
  // AbortSignal.timeout is precise; undici's own headersTimeout ticks with ~0.5 s granularity.
  const signals = [
    init.signal,
    init.timeoutMs === undefined ? undefined : AbortSignal.timeout(init.timeoutMs),
  ];
  const signal = AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify(payload),
    ...(init.dispatcher !== undefined && { dispatcher: init.dispatcher }),
    signal,
  });
  const text = await res.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, body };
}

export function rpc(
  url: string,
  method: string,
  params: unknown[] = [],
  init: RpcInit = {},
): Promise<RpcResponse> {
  return postJson(url, { jsonrpc: '2.0', id: init.id ?? 1, method, params }, init);
}
