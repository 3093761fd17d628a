/** The parser stops at an upgrade request: the bytes after it belong to the new protocol. */
import { describe, expect, it } from 'vitest';
import type { RequestBudget } from './body-buffer.js';
import { type ParsedRequest, type ParserLimits, RequestParser } from './request-parser.js';

const LIMITS: ParserLimits = { maxHeaderBytes: 1024, maxBodyBytes: 4096 };
const UPGRADE =
  'GET /eth HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const GET = 'GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n';

class CountingBudget implements RequestBudget {
  held = 0;
  reserve(bytes: number): boolean {
    this.held += bytes;
    return true;
  }
  release(bytes: number): void {
    this.held -= bytes;
  }
}

describe('RequestParser and upgrades', () => {
  it('keeps the bytes after an upgrade request unparsed, and hands them over once', () => {
    const budget = new CountingBudget();
    const parser = new RequestParser(LIMITS, undefined, budget);
    const queue: ParsedRequest[] = [];
    // A WebSocket frame is not HTTP: parsing it would fail.
    const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0x69, 0x67, 0x6f, 0x68, 0x6e]);
    parser.push(Buffer.concat([Buffer.from(GET + UPGRADE, 'latin1'), frame]), 1, queue);
    expect(queue.map((request) => request.url)).toEqual(['/healthz', '/eth']);
    expect(queue[1]!.headers.upgrade).toBe('websocket');
    expect(parser.holding).toBe(true);
    expect(budget.held).toBe(frame.length);
    expect(parser.takeRest()).toEqual(frame);
    expect(budget.held).toBe(0);
    expect(parser.holding).toBe(false);
    expect(parser.takeRest().length).toBe(0);
  });

  it('goes on parsing after an upgrade request that was answered as plain HTTP', () => {
    const parser = new RequestParser(LIMITS, undefined);
    const queue: ParsedRequest[] = [];
    parser.push(Buffer.from(UPGRADE + GET, 'latin1'), 1, queue);
    expect(queue.map((request) => request.url)).toEqual(['/eth']);
    expect(parser.holding).toBe(true);
    parser.push(Buffer.alloc(0), 1, queue);
    expect(queue.map((request) => request.url)).toEqual(['/eth', '/healthz']);
  });

  it('holds nothing when the upgrade request ends the read', () => {
    const parser = new RequestParser(LIMITS, undefined);
    const queue: ParsedRequest[] = [];
    parser.push(Buffer.from(UPGRADE, 'latin1'), 1, queue);
    expect(queue).toHaveLength(1);
    expect(parser.holding).toBe(false);
    expect(parser.takeRest().length).toBe(0);
  });
});
