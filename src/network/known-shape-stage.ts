/**
 * The cache stage for repeats: a request whose shape (rpc/request-shape.ts) was seen with a final
 * plan is answered from the in-process tier, with no JSON.parse and no planning. What a shape
 * stands for is learned from the usual path's hits.
 */
import { ResultResponse } from '../cache/result-bytes.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { spliceRawId } from '../rpc/raw-id.js';
import { type RequestShape, requestShape } from '../rpc/request-shape.js';
import { errorResponse } from '../rpc/serialize.js';
import type { Network } from './network.js';
import type { ItemEntry, PipelineCall } from './pipeline-call.js';

/** The body's shape, when the network knows any shape (else finding it is wasted work). */
export function shapeOf(network: Network, body: Buffer): RequestShape | undefined {
  return network.cache?.hasShapes === true ? requestShape(body) : undefined;
}

/** The hit's entry: the stored result under the request's own id bytes. */
export function knownHit(call: PipelineCall, value: Buffer, shape: RequestShape, started: number): ItemEntry {
  call.network.cache!.countKnownHit();
  const body = new ResultResponse(shape.body, shape.idStart, shape.idEnd, value);
  const entry: ItemEntry = { body, status: 200, cache: 'HIT', finalKey: undefined };
  call.timing.cacheMs = performance.now() - started;
  return entry;
}

/** A refused repeat's entry: the usual path's error entry, with the id exactly as sent. */
export function knownRefusal(shape: RequestShape, refusal: GatewayError): ItemEntry {
  return { body: spliceRawId(errorResponse(null, refusal), shape.idText), status: refusal.httpStatus };
}

/** After a single request's hit with a final plan: maps its shape to that plan's key. */
export function learnShape(
  network: Network,
  body: Buffer,
  shape: RequestShape | undefined,
  entry: ItemEntry,
  method: string,
): void {
  if (entry.finalKey === undefined) return;
  const seen = shape ?? requestShape(body);
  if (seen !== undefined) network.cache!.learnShape(seen.key, entry.finalKey, method);
}
