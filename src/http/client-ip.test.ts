import { describe, expect, it } from 'vitest';
import { clientIp, MAX_FORWARDED_ENTRIES } from './client-ip.js';
import type { HttpRequest } from './exchange.js';

function request(remoteAddress: string, forwarded?: string): HttpRequest {
  return {
    method: 'POST',
    url: '/eth',
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    body: Buffer.alloc(0),
    remoteAddress,
    receivedAt: 0,
    completeAt: 0,
  };
}

describe('clientIp', () => {
  const trusted = new Set(['10.0.0.1', '10.0.0.2']);

  it('uses the peer address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp(request('203.0.113.9', '1.2.3.4'), new Set())).toBe('203.0.113.9');
    expect(clientIp(request('::ffff:203.0.113.9'), new Set())).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientIp(request('203.0.113.9', '1.2.3.4'), trusted)).toBe('203.0.113.9');
  });

  it('takes the rightmost untrusted hop behind trusted proxies, never a spoofed left entry', () => {
    expect(clientIp(request('10.0.0.1', '198.51.100.7'), trusted)).toBe('198.51.100.7');
    expect(clientIp(request('10.0.0.1', 'spoofed, 198.51.100.7, 10.0.0.2'), trusted)).toBe('198.51.100.7');
    expect(clientIp(request('::ffff:10.0.0.1', '198.51.100.7'), trusted)).toBe('198.51.100.7');
  });

  it('falls back to the peer when the header holds only trusted proxies or is missing', () => {
    expect(clientIp(request('10.0.0.1', '10.0.0.2'), trusted)).toBe('10.0.0.1');
    expect(clientIp(request('10.0.0.1'), trusted)).toBe('10.0.0.1');
  });

  it('stops at the first entry that is not an IP address and falls back to the peer', () => {
    expect(clientIp(request('10.0.0.1', 'unknown'), trusted)).toBe('10.0.0.1');
    expect(clientIp(request('10.0.0.1', '198.51.100.7:4711'), trusted)).toBe('10.0.0.1');
    expect(clientIp(request('10.0.0.1', '<script>, 10.0.0.2'), trusted)).toBe('10.0.0.1');
    expect(clientIp(request('10.0.0.1', '198.51.100.7, [2001:db8::1], 10.0.0.2'), trusted)).toBe('10.0.0.1');
    // Garbage left of the client's address is never reached.
    expect(clientIp(request('10.0.0.1', 'not-an-ip, 198.51.100.7'), trusted)).toBe('198.51.100.7');
  });

  it('accepts IPv6 and IPv4-mapped entries and skips empty ones', () => {
    expect(clientIp(request('10.0.0.1', '2001:db8::7'), trusted)).toBe('2001:db8::7');
    expect(clientIp(request('10.0.0.1', '::ffff:198.51.100.7, 10.0.0.2'), trusted)).toBe('198.51.100.7');
    expect(clientIp(request('10.0.0.1', '198.51.100.7, ,10.0.0.2,'), trusted)).toBe('198.51.100.7');
    expect(clientIp(request('10.0.0.1', ''), trusted)).toBe('10.0.0.1');
  });

  it(`reads at most ${MAX_FORWARDED_ENTRIES} entries from the right`, () => {
    const proxies = Array.from({ length: 40 }, (_, i) => `10.1.0.${i}`);
    const many = new Set(['10.0.0.1', ...proxies]);
    const within = proxies.slice(0, MAX_FORWARDED_ENTRIES - 1).join(', ');
    expect(clientIp(request('10.0.0.1', `198.51.100.7, ${within}`), many)).toBe('198.51.100.7');
    // One trusted hop more and the client entry is past the cap: the peer.
    const past = proxies.slice(0, MAX_FORWARDED_ENTRIES).join(', ');
    expect(clientIp(request('10.0.0.1', `198.51.100.7, ${past}`), many)).toBe('10.0.0.1');
    // A huge header of commas is read only as far as the cap.
    expect(clientIp(request('10.0.0.1', `198.51.100.7${','.repeat(1_000_000)}`), trusted)).toBe('10.0.0.1');
  });
});
