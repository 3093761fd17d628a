/**
 * The request pipeline of one network, top to bottom:
 *
 *   auth      auth-stage.ts        API key or client IP → the call's Access (before the body is read)
 *   admit     admit-stage.ts       plan, credits, quota, rate limit (a batch's credits as a whole first)
 *   cache     network.ts → cache/network-cache.ts; a known shape's repeat: known-shape-stage.ts
 *   select    forward.ts → upstream/select.ts
 *   failsafe  forward.ts, attempt.ts, hedge.ts: deadline, retries, hedging, recovery
 *   meter     meter-stage.ts       usage record and the request-end event
 *
 * Every parsed item runs `runRequest`. A known shape's repeat runs `runKnownShape`: the same
 * admit and meter stages around a cache answer read synchronously (no promise per hit).
 * rpc-endpoint/rpc-route.ts does the HTTP around it: content type, body, parse, batch, answer;
 * realtime/socket-rpc.ts the same for a WebSocket message.
 */

import type { KnownShape } from '../cache/network-cache.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { plainBody } from '../http/exchange.js';
import { spliceRawId } from '../rpc/raw-id.js';
import type { RequestShape } from '../rpc/request-shape.js';
import { errorResponse } from '../rpc/serialize.js';
import type { RpcItem, RpcRequest } from '../rpc/types.js';
import { admit } from './admit-stage.js';
import { knownHit, knownRefusal } from './known-shape-stage.js';
import { meter } from './meter-stage.js';
import type { ItemEntry, PipelineCall } from './pipeline-call.js';
import { failure, logInternal } from './pipeline-failure.js';

/** admit → cache → select → failsafe → meter for one parsed request. */
export async function runRequest(call: PipelineCall, request: RpcRequest): Promise<ItemEntry> {
  const started = performance.now();
  let entry: ItemEntry;
  let outcome: string;
  try {
    const admitted = admit(call.access, request.method);
    const refusal = admitted instanceof Promise ? await admitted : admitted;
    if (refusal !== undefined) throw refusal;
    const consistency = call.consistency;
    const result = await (consistency === undefined
      ? call.network.handle(request, call.timing)
      : consistency.handle(request, call.timing));
    if (result.ok) {
      entry = { body: result.body, status: 200, cache: result.cache, finalKey: result.finalKey };
      outcome = result.rpcError ? 'rpc_error' : 'ok';
    } else {
      if (result.error.code === 'ERR_INTERNAL') logInternal(call, result.error, result.error);
      entry = { body: errorResponse(request.id ?? null, result.error), status: result.error.httpStatus };
      outcome = result.error.code;
    }
  } catch (err) {
    const error = failure(call, err);
    entry = { body: errorResponse(request.id ?? null, error), status: error.httpStatus };
    outcome = error.code;
  }
  meter(call, request.method, outcome, entry.body, started);
  if (request.id === undefined) return { body: undefined, status: 204, cache: entry.cache };
  // The client's exact id text (2^64, 1e2 and the like), whatever produced the entry.
  if (request.rawId !== undefined && entry.body !== undefined)
    return {
      body: spliceRawId(plainBody(entry.body), request.rawId),
      status: entry.status,
      cache: entry.cache,
      finalKey: entry.finalKey,
    };
  return entry;
}

/** A parsed item through the pipeline; an invalid one is answered with its error as it is. */
export function runItem(call: PipelineCall, item: RpcItem): ItemEntry | Promise<ItemEntry> {
  if (item.ok) return runRequest(call, item.request);
  const body = errorResponse(item.id, item.error);
  const exact = item.rawId === undefined ? body : spliceRawId(body, item.rawId);
  return { body: exact, status: item.error.httpStatus };
}

/**
 * admit → cache → meter for a repeat of a shape seen with a final plan: synchronous unless
 * admission waits (Redis). Undefined when the in-process tier no longer holds the answer
 * (evicted, expired): then the request takes the usual path.
 */
export function runKnownShape(
  call: PipelineCall,
  shape: RequestShape,
  started: number,
): ItemEntry | Promise<ItemEntry> | undefined {
  const cache = call.network.cache!;
  const known = cache.knownShape(shape.key);
  const value = known === undefined ? undefined : cache.peekKnown(known);
  if (value === undefined) return undefined;
  call.timing.knownHit = true;
  const admitted = admit(call.access, known!.method);
  if (admitted instanceof Promise)
    return admitted.then((refusal) => knownEntry(call, known!, value, shape, started, refusal));
  return knownEntry(call, known!, value, shape, started, admitted);
}

function knownEntry(
  call: PipelineCall,
  known: KnownShape,
  value: Buffer,
  shape: RequestShape,
  started: number,
  refusal: GatewayError | undefined,
): ItemEntry {
  const entry = refusal === undefined ? knownHit(call, value, shape, started) : knownRefusal(shape, refusal);
  meter(call, known.method, refusal === undefined ? 'ok' : refusal.code, entry.body, started);
  return entry;
}
