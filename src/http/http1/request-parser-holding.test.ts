/** What the parser holds between reads, and what it reserves for it against the worker's budget. */
import { describe, expect, it } from 'vitest';
import type { RequestBudget } from './body-buffer.js';
import { MAX_QUEUED, type ParsedRequest, type ParserLimits, RequestParser } from './request-parser.js';

const LIMITS: ParserLimits = { maxHeaderBytes: 1024, maxBodyBytes: 4096 };
const GET = 'GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Tab: a\tb\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n';

/** Parses `chunks` on one parser, taking the queue whenever the parser holds (like a connection). */
function parse(chunks: readonly string[]): ParsedRequest[] {
  const parser = new RequestParser(LIMITS, undefined);
  const out: ParsedRequest[] = [];
  const queue: ParsedRequest[] = [];
  for (const chunk of chunks) {
    parser.push(Buffer.from(chunk, 'latin1'), 1, queue);
    for (;;) {
      out.push(...queue.splice(0));
      if (!parser.holding) break;
      parser.push(Buffer.alloc(0), 1, queue);
    }
  }
  return out;
}

/** A budget that counts what is held, like the server's (bounded by `limit`). */
class CountingBudget implements RequestBudget {
  held = 0;
  peak = 0;
  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    this.peak = Math.max(this.peak, this.held);
    return true;
  }
  release(bytes: number): void {
    this.held -= bytes;
  }
}

describe('RequestParser: what it holds', () => {
  it('tolerates 32 empty lines (CR or LF bytes) before a request', () => {
    expect(parse([`${'\r\n'.repeat(16)}${GET}`])).toHaveLength(1);
    expect(parse([...`${'\n'.repeat(32)}${GET}`])).toHaveLength(1);
  });

  it(`stops after ${MAX_QUEUED} queued requests and keeps the rest of the read until asked`, () => {
    const budget = new CountingBudget();
    const parser = new RequestParser(LIMITS, undefined, budget);
    const queue: ParsedRequest[] = [];
    const stream = GET.repeat(40);
    parser.push(Buffer.from(stream), 1, queue);
    expect(queue).toHaveLength(MAX_QUEUED);
    expect(parser.holding).toBe(true);
    expect(budget.held).toBe(stream.length - MAX_QUEUED * GET.length);
    queue.length = 0;
    parser.push(Buffer.alloc(0), 2, queue);
    expect(queue).toHaveLength(MAX_QUEUED);
    queue.length = 0;
    parser.push(Buffer.alloc(0), 3, queue);
    expect(queue).toHaveLength(40 - 2 * MAX_QUEUED);
    expect(parser.holding).toBe(false);
    expect(budget.held).toBe(0);
  });

  it('copies a body spread over reads into one buffer, reserved until the request is taken', () => {
    const budget = new CountingBudget();
    const parser = new RequestParser({ maxHeaderBytes: 1024, maxBodyBytes: 1 << 20 }, undefined, budget);
    const queue: ParsedRequest[] = [];
    const head = 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n';
    parser.push(Buffer.from(head), 1, queue);
    for (let i = 0; i < 100_000; i += 1000) parser.push(Buffer.alloc(1000, i % 256), 2, queue);
    const [request] = queue;
    expect(request?.body.length).toBe(100_000);
    // Doubling from 256 bytes, capped at the Content-Length.
    expect(request?.reserved).toBe(100_000);
    expect(budget.held).toBe(100_000);
    expect(budget.peak).toBe(100_000);
  });

  it('decodes 100,000 one-byte chunks holding no more than the body limit', () => {
    const limit = 131_072;
    const budget = new CountingBudget();
    const parser = new RequestParser({ maxHeaderBytes: 1024, maxBodyBytes: limit }, undefined, budget);
    const queue: ParsedRequest[] = [];
    parser.push(Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'), 1, queue);
    const chunks = Buffer.from('1\r\nx\r\n'.repeat(1000));
    for (let i = 0; i < 100; i++) parser.push(chunks, 2, queue);
    parser.push(Buffer.from('0\r\n\r\n'), 3, queue);
    expect(queue[0]?.body.length).toBe(100_000);
    expect(budget.peak).toBeLessThanOrEqual(limit);
  });

  it('answers ERR_SERVER_BUSY when the budget has no room for a body, and holds nothing after a discard', () => {
    const budget = new CountingBudget(50_000);
    const parser = new RequestParser({ maxHeaderBytes: 1024, maxBodyBytes: 1 << 20 }, undefined, budget);
    parser.push(Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n'), 1, []);
    let error: unknown;
    try {
      for (let i = 0; i < 100; i++) parser.push(Buffer.alloc(1000), 2, []);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'ERR_SERVER_BUSY', httpStatus: 503 });
    expect(budget.peak).toBeLessThanOrEqual(50_000);
    parser.discard();
    expect(budget.held).toBe(0);
  });
});
