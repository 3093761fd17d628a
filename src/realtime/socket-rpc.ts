/**
 * One WebSocket message through the request pipeline (network/pipeline.ts): the same stages,
 * in the same order, as a JSON-RPC POST — a known shape's repeat from the in-process tier, else
 * parse, a batch's credits as a whole, each item through `runItem`. Only the framing differs
 * from rpc-endpoint/rpc-route.ts: no content type, no content coding, no HTTP headers.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { plainBody, type ResponseBody } from '../http/exchange.js';
import { admitBatch } from '../network/admit-stage.js';
import { learnShape, shapeOf } from '../network/known-shape-stage.js';
import { runItem, runKnownShape } from '../network/pipeline.js';
import type { ItemEntry, PipelineCall } from '../network/pipeline-call.js';
import { failure } from '../network/pipeline-failure.js';
import { parseBody } from '../rpc/parse.js';
import { spliceRawId } from '../rpc/raw-id.js';
import { errorResponse, joinBatch } from '../rpc/serialize.js';
import type { RpcItem } from '../rpc/types.js';

/** Answered here until the subscription feed is wired (docs/websocket.md). */
const SUBSCRIPTION_METHODS = new Set(['eth_subscribe', 'eth_unsubscribe']);

/** The answer to one message, or undefined when it held only notifications. */
export async function answerMessage(
  call: PipelineCall,
  body: Buffer,
  maxBatchSize: number,
): Promise<ResponseBody | undefined> {
  try {
    const parsedAt = performance.now();
    const shape = shapeOf(call.network, body);
    const known = shape === undefined ? undefined : runKnownShape(call, shape, parsedAt);
    if (known !== undefined) return (known instanceof Promise ? await known : known).body;
    const parsed = parseBody(body, { maxBatchSize });
    call.timing.parseMs = performance.now() - parsedAt;
    if (parsed.kind === 'single') {
      const entry = await runSocketItem(call, parsed.item);
      if (parsed.item.ok) learnShape(call.network, body, shape, entry, parsed.item.request.method);
      return entry.body;
    }
    admitBatch(call.access, parsed.items);
    const entries = await Promise.all(parsed.items.map((item) => runSocketItem(call, item)));
    const bodies: Buffer[] = [];
    for (const entry of entries) {
      if (entry.body === undefined) continue;
      const plain = plainBody(entry.body);
      bodies.push(typeof plain === 'string' ? Buffer.from(plain) : plain);
    }
    return bodies.length === 0 ? undefined : joinBatch(bodies);
  } catch (err) {
    return errorResponse(null, failure(call, err));
  }
}

/** An item through the pipeline, except subscriptions: refused with their own message for now. */
function runSocketItem(call: PipelineCall, item: RpcItem): ItemEntry | Promise<ItemEntry> {
  if (!item.ok || !SUBSCRIPTION_METHODS.has(item.request.method)) return runItem(call, item);
  const { request } = item;
  const error = new GatewayError(
    'ERR_METHOD_NOT_SUPPORTED',
    `${request.method} is not available yet: this gateway does not serve subscriptions`,
  );
  if (request.id === undefined) return { body: undefined, status: 204 };
  const body = errorResponse(request.id, error);
  return {
    body: request.rawId === undefined ? body : spliceRawId(body, request.rawId),
    status: error.httpStatus,
  };
}
