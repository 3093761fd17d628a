/** Accumulates stage durations for the `Server-Timing` header. */
import type { ForwardTiming } from '../network/forward.js';

export class StageTiming implements ForwardTiming {
  selectMs = 0;
  upstreamMs = 0;
  attempts = 0;
  upstream: string | undefined = undefined;
  readMs = 0;
  parseMs = 0;

  header(totalMs: number): string {
    return `read;dur=${fmt(this.readMs)}, parse;dur=${fmt(this.parseMs)}, select;dur=${fmt(this.selectMs)}, upstream;dur=${fmt(this.upstreamMs)}, total;dur=${fmt(totalMs)}`;
  }
}

function fmt(ms: number): string {
  return ms.toFixed(3);
}
