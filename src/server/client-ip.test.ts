import { describe, expect, it } from 'vitest';
import { clientIp } from './client-ip.js';
import type { HttpRequest } from './http1/exchange.js';

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
});
