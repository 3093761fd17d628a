/**
 * One WebSocket message through the request pipeline (network/pipeline.ts): the same stages,
 * in the same order, as a JSON-RPC POST — a known shape's repeat from the in-process tier, else
 * parse, a batch's credits as a whole, each item through `runItem`. Only the framing differs
 * from rpc-endpoint/rpc-route.ts: no content type, no content coding, no HTTP headers.
 */
import { plainBody, type ResponseBody } from '../http/exchange.js';
import { admitBatch } from '../network/admit-stage.js';
import { learnShape, shapeOf } from '../network/known-shape-stage.js';
import { runItem, runKnownShape } from '../network/pipeline.js';
import type { ItemEntry, PipelineCall } from '../network/pipeline-call.js';
import { failure } from '../network/pipeline-failure.js';
import { parseBody } from '../rpc/parse.js';
import { errorResponse, joinBatch } from '../rpc/serialize.js';
import type { RpcItem } from '../rpc/types.js';
import type { SocketSubscriptions } from './socket-subscriptions.js';

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
  if (request.method === 'eth_subscribe') return subscriptions.subscribe(request, call);
  if (request.method === 'eth_unsubscribe') return subscriptions.unsubscribe(request);
  return runItem(call, item);
}
