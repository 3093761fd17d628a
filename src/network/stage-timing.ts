/**
 * Accumulates the pipeline's stage durations for the `Server-Timing` header, and hands them to
 * whoever listens on `stagesChannel` (the stage histogram in /metrics) when the answer is written.
 */
import { type StageDurations, stagesChannel } from '../events/channels.js';
import { formatMs } from '../http/server-timing.js';
import type { ForwardTiming } from '../upstream/forward-result.js';

export class StageTiming implements ForwardTiming, StageDurations {
  selectMs = 0;
  upstreamMs = 0;
  attempts = 0;
  upstream: string | undefined = undefined;
  readMs = 0;
  parseMs = 0;
  /** Key lookup and admission (tenancy on only). */
  authMs: number | undefined = undefined;
  /** Cache lookups and coalescing waits (cacheable items only). */
  cacheMs: number | undefined = undefined;
  /**
   * Answered by the known-shape fast path: no parse, select or upstream stage happened, so the
   * header leaves them out (shorter to format and to send on every hit).
   */
  knownHit = false;

  header(totalMs: number): string {
    if (this.knownHit) {
      const auth = this.authMs === undefined ? '' : `, auth;dur=${formatMs(this.authMs)}`;
      return `read;dur=${formatMs(this.readMs)}${auth}, cache;dur=${formatMs(this.cacheMs ?? 0)}, total;dur=${formatMs(totalMs)}`;
    }
    const auth = this.authMs === undefined ? '' : `auth;dur=${formatMs(this.authMs)}, `;
    const cache = this.cacheMs === undefined ? '' : `cache;dur=${formatMs(this.cacheMs)}, `;
    return `read;dur=${formatMs(this.readMs)}, parse;dur=${formatMs(this.parseMs)}, ${auth}${cache}select;dur=${formatMs(this.selectMs)}, upstream;dur=${formatMs(this.upstreamMs)}, total;dur=${formatMs(totalMs)}`;
  }
}

/**
 * The `Server-Timing` header when `serverTiming` is on (undefined otherwise), and the stages
 * published once per answered HTTP request; no clock read when neither is wanted.
 */
export function finishTiming(
  owner: { readonly name: string },
  timing: StageTiming,
  started: number,
  serverTiming: boolean,
): string | undefined {
  const publish = stagesChannel.hasSubscribers;
  if (!serverTiming && !publish) return undefined;
  const totalMs = performance.now() - started;
  if (publish) stagesChannel.publish({ owner, network: owner.name, timing, totalMs });
  return serverTiming ? timing.header(totalMs) : undefined;
}
