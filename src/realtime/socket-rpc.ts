/**
 * One WebSocket message through the request pipeline (network/pipeline.ts): the same stages,
 * in the same order, as a JSON-RPC POST — a known shape's repeat from the in-process tier, else
 * parse, a batch's credits as a whole, each item through `runItem`. Only the framing differs
 * from rpc-endpoint/rpc-route.ts: no content type, no content coding, no HTTP headers.
 */
import type { GatewayError } from '../errors/gateway-error.js';
import { plainBody, type ResponseBody } from '../http/exchange.js';
import { admit, admitBatch } from '../network/admit-stage.js';
import { learnShape, shapeOf } from '../network/known-shape-stage.js';
import { meter } from '../network/meter-stage.js';
import { runItem, runKnownShape } from '../network/pipeline.js';
import type { ItemEntry, PipelineCall } from '../network/pipeline-call.js';
import { failure } from '../network/pipeline-failure.js';
import { parseBody } from '../rpc/parse.js';
import { errorResponse, joinBatch } from '../rpc/serialize.js';
import type { RpcItem, RpcRequest } from '../rpc/types.js';
import { answerError, type SocketSubscriptions } from './socket-subscriptions.js';

/**
 * The answer to one message, or undefined when it held only notifications. Subscriptions it
 * opened are held: the caller starts them (`subscriptions.startHeld(call)`) once the answer is sent.
 */
export async function answerMessage(
  call: PipelineCall,
  body: Buffer,
  maxBatchSize: number,
  subscriptions: SocketSubscriptions,
): Promise<ResponseBody | undefined> {
  try {
    const parsedAt = performance.now();
    const shape = shapeOf(call.network, body);
    const known = shape === undefined ? undefined : runKnownShape(call, shape, parsedAt);
    if (known !== undefined) return (known instanceof Promise ? await known : known).body;
    const parsed = parseBody(body, { maxBatchSize });
    call.timing.parseMs = performance.now() - parsedAt;
    if (parsed.kind === 'single') {
      const entry = await runSocketItem(call, parsed.item, subscriptions);
      if (parsed.item.ok) learnShape(call.network, body, shape, entry, parsed.item.request.method);
      return entry.body;
    }
    admitBatch(call.access, parsed.items);
    const entries = await Promise.all(parsed.items.map((item) => runSocketItem(call, item, subscriptions)));
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

/** An item through the pipeline, except subscriptions: the socket's own (socket-subscriptions.ts). */
function runSocketItem(
  call: PipelineCall,
  item: RpcItem,
  subscriptions: SocketSubscriptions,
): ItemEntry | Promise<ItemEntry> {
  if (!item.ok) return runItem(call, item);
  const { request } = item;
  if (request.method !== 'eth_subscribe' && request.method !== 'eth_unsubscribe') return runItem(call, item);
  const started = performance.now();
  const refusal = admit(call.access, request.method);
  if (refusal instanceof Promise)
    return refusal.then((settled) => subscriptionEntry(call, request, subscriptions, settled, started));
  return subscriptionEntry(call, request, subscriptions, refusal, started);
}

/** Admitted and metered like any request (plan, credits, rate limit), then answered by the socket. */
function subscriptionEntry(
  call: PipelineCall,
  request: RpcRequest,
  subscriptions: SocketSubscriptions,
  refusal: GatewayError | undefined,
  started: number,
): ItemEntry {
  const entry =
    refusal !== undefined
      ? answerError(request, refusal)
      : request.method === 'eth_subscribe'
        ? subscriptions.subscribe(request, call)
        : subscriptions.unsubscribe(request);
  meter(call, request.method, entry.outcome, entry.body, started);
  return entry;
}
