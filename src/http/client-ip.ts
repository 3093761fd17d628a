/**
 * The client's IP for per-IP limits. Behind a load balancer every connection comes from the
 * balancer, so when the peer is a trusted proxy the address is taken from `X-Forwarded-For`:
 * the rightmost entry that is not itself a trusted proxy (entries further left are whatever the
 * client chose to send, so they are never believed).
 *
 * Every entry read must be a bare IPv4 or IPv6 address (`node:net` `isIP`). An entry that is
 * not (`unknown`, `1.2.3.4:80`, garbage) ends the walk, since nothing left of it can be
 * traced, and the request is counted against the connection's address, as when the header
 * names only trusted proxies. At most MAX_FORWARDED_ENTRIES entries are read, from the right,
 * without splitting the rest of the header, so a long header costs no more than a short one.
 */
import { isIP } from 'node:net';
import type { HttpRequest } from './exchange.js';

/** Entries read from the right of `X-Forwarded-For`; empty ones (`a,,b`) count too. */
export const MAX_FORWARDED_ENTRIES = 16;

export function clientIp(req: HttpRequest, trustedProxies: ReadonlySet<string>): string | undefined {
  const peer = normalize(req.remoteAddress);
  if (peer === undefined || trustedProxies.size === 0 || !trustedProxies.has(peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  if (forwarded === undefined) return peer;
  let end = forwarded.length;
  for (let read = 0; read < MAX_FORWARDED_ENTRIES && end >= 0; read++) {
    const comma = end === 0 ? -1 : forwarded.lastIndexOf(',', end - 1);
    const entry = forwarded.slice(comma + 1, end).trim();
    end = comma;
    // RFC 9110 §5.6.1: empty list elements are ignored.
    if (entry === '') continue;
    const hop = normalize(entry);
    if (hop === undefined || isIP(hop) === 0) return peer;
    if (!trustedProxies.has(hop)) return hop;
  }
  return peer;
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) → `10.0.0.1`. */
function normalize(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
