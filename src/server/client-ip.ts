/**
 * The client's IP for per-IP limits. Behind a load balancer every connection comes from the
 * balancer, so when the peer is a trusted proxy the address is taken from `X-Forwarded-For`:
 * the rightmost entry that is not itself a trusted proxy (entries further left are whatever the
 * client chose to send, so they are never believed).
 */
import type { HttpRequest } from './http1/exchange.js';

export function clientIp(req: HttpRequest, trustedProxies: ReadonlySet<string>): string | undefined {
  const peer = normalize(req.remoteAddress);
  if (peer === undefined || trustedProxies.size === 0 || !trustedProxies.has(peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  if (forwarded === undefined) return peer;
  const hops = forwarded.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize(hops[i]!.trim());
    if (hop !== undefined && hop !== '' && !trustedProxies.has(hop)) return hop;
  }
  return peer;
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) → `10.0.0.1`. */
function normalize(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
