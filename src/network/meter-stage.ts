/**
 * Metering, the pipeline's last stage: what an item cost (usage record, tenancy on only) and the
 * request-end event metrics subscribe to (published only when someone listens).
 */
import { type RequestEndEvent, requestEndChannel } from '../events/channels.js';
import type { ResponseBody } from '../http/exchange.js';
import type { PipelineCall } from './pipeline-call.js';

export function meter(
  call: PipelineCall,
  method: string,
  outcome: string,
  body: ResponseBody | undefined,
  started: number,
): void {
  const { access, network } = call;
  if (access !== undefined) access.record(method, outcome, entryBytes(body));
  if (requestEndChannel.hasSubscribers) {
    const event: RequestEndEvent = {
      owner: network,
      network: network.name,
      method,
      outcome,
      durationMs: performance.now() - started,
    };
    requestEndChannel.publish(event);
  }
}

function entryBytes(body: ResponseBody | undefined): number {
  if (body === undefined) return 0;
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
