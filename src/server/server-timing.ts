/** Accumulates stage durations for the `Server-Timing` header. */
import type { ForwardTiming } from '../network/forward.js';

export class StageTiming implements ForwardTiming {
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
      const auth = this.authMs === undefined ? '' : `, auth;dur=${fmt(this.authMs)}`;
      return `read;dur=${fmt(this.readMs)}${auth}, cache;dur=${fmt(this.cacheMs ?? 0)}, total;dur=${fmt(totalMs)}`;
    }
    const auth = this.authMs === undefined ? '' : `auth;dur=${fmt(this.authMs)}, `;
    const cache = this.cacheMs === undefined ? '' : `cache;dur=${fmt(this.cacheMs)}, `;
    return `read;dur=${fmt(this.readMs)}, parse;dur=${fmt(this.parseMs)}, ${auth}${cache}select;dur=${fmt(this.selectMs)}, upstream;dur=${fmt(this.upstreamMs)}, total;dur=${fmt(totalMs)}`;
  }
}

/** The header for responses without stages (health, metrics, routing errors): `total` only. */
export function totalOnlyHeader(totalMs: number): string {
  return `total;dur=${fmt(totalMs)}`;
}

/** `ms` with three decimals, like toFixed(3) but from integers (toFixed costs ≈ 0.2 µs a call). */
function fmt(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0)) return ms.toFixed(3); // negative, NaN: rare, keep the exact format
  const fraction = micros % 1000;
  return `${(micros - fraction) / 1000}.${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}`;
}
