/**
 * Turns the bytes of one connection into complete requests. Bytes may arrive in any split; a
 * request that arrives whole in one read (the usual case) is sliced without copying, a body
 * spread over reads is copied into one buffer (body-buffer.ts). What a connection holds is
 * bounded: at most MAX_QUEUED parsed requests, one body copied out of its reads, a partial head,
 * and the rest of one read; the bytes held across reads are reserved against the worker's
 * budget. Throws a GatewayError for input that is not HTTP/1.x or breaks a limit; the
 * connection then closes.
 */

import type { HttpRequest } from '../exchange.js';
import { BodyBuffer, type RequestBudget, UNBOUNDED } from './body-buffer.js';
import { ChunkedBody } from './chunked-body.js';
import { headersTooLarge, malformed, serverBusy } from './errors.js';
import { parseHead, type RequestHead } from './head.js';

const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
/** Parsed requests waiting for their turn before the parser stops and keeps the rest unparsed. */
export const MAX_QUEUED = 16;
/**
 * Empty lines (CR or LF bytes) tolerated before a request line. RFC 9112 §2.2 asks to ignore at
 * least one; they never count as activity on an idle connection.
 */
const MAX_BLANK_BYTES = 32;

export interface ParserLimits {
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
}

/** A class, not a spread literal: one stable shape for every request keeps V8's inline caches fast. */
export class ParsedRequest implements HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly minorVersion: number;
  readonly headers: Record<string, string>;
  readonly keepAlive: boolean;
  /** Carries an `Upgrade` header: the parser stops after it (http/upgrade.ts). */
  readonly upgrade: boolean;

  constructor(
    head: RequestHead,
    readonly body: Buffer,
    /** Bytes reserved against the budget for `body` (0 when it is a slice of a read). */
    readonly reserved: number,
    readonly remoteAddress: string | undefined,
    readonly receivedAt: number,
    readonly completeAt: number,
  ) {
    this.method = head.method;
    this.url = head.url;
    this.minorVersion = head.minorVersion;
    this.headers = head.headers;
    this.keepAlive = head.keepAlive;
    this.upgrade = head.headers.upgrade !== undefined;
  }
}

export class RequestParser {
  /** Bytes received but not consumed yet: an incomplete head, or the rest of a read while held. */
  private pending: Buffer | undefined;
  /** Where to resume the search for the end of the head in `pending`. */
  private scannedTo = 0;
  private head: RequestHead | undefined;
  /** The body when it arrived whole in the read that completed its head. */
  private body: Buffer = EMPTY;
  /** The body when it is spread over reads. */
  private bodyBuffer: BodyBuffer | undefined;
  private bodyRemaining = 0;
  private chunked: ChunkedBody | undefined;
  /** CR and LF bytes skipped since the last request. */
  private blankBytes = 0;
  /** `performance.now()` at the first byte of the request in progress; 0 when between requests. */
  receivedAt = 0;
  /** Set when a head asked for `100-continue` and its body has not fully arrived. */
  wantsContinue = false;
  /**
   * Set when parsing stopped with bytes left: MAX_QUEUED requests wait, or one whose body was
   * copied out of its reads. `push(EMPTY_CHUNK)` goes on once the queue is empty.
   */
  holding = false;

  constructor(
    private readonly limits: ParserLimits,
    private readonly remoteAddress: string | undefined,
    private readonly budget: RequestBudget = UNBOUNDED,
  ) {}

  /** True while a request's head has been read and its body has not. */
  get readingBody(): boolean {
    return this.head !== undefined;
  }

  /** Consumes `chunk` (empty: the held bytes); appends every request it completes to `out`. */
  push(chunk: Buffer, now: number, out: ParsedRequest[]): void {
    let buf = chunk;
    const pending = this.pending;
    if (pending !== undefined) {
      buf = chunk.length === 0 ? pending : Buffer.concat([pending, chunk]);
      this.pending = undefined;
      this.budget.release(pending.length);
    }
    this.holding = false;
    let pos = 0;
    while (pos < buf.length) {
      if (this.head === undefined) {
        const queued = out.length;
        if (queued >= MAX_QUEUED || (queued !== 0 && out[queued - 1]!.reserved !== 0)) {
          this.hold(buf.subarray(pos));
          return;
        }
        const next = this.readHead(buf, pos, now);
        if (next === -1) return;
        pos = next;
      }
      pos = this.readBody(buf, pos);
      if (!this.bodyComplete()) continue;
      const request = this.finish(now);
      out.push(request);
      // What follows an upgrade request may be another protocol's bytes: keep them unparsed.
      if (request.upgrade) {
        if (pos < buf.length) this.hold(buf.subarray(pos));
        return;
      }
    }
  }

  /** The bytes held past an upgrade request, released from the budget: the new protocol's. */
  takeRest(): Buffer {
    const rest = this.pending;
    if (rest === undefined) return EMPTY;
    this.pending = undefined;
    this.holding = false;
    this.budget.release(rest.length);
    return rest;
  }

  /** Drops what is buffered and releases it (the connection failed or closes). */
  discard(): void {
    if (this.pending !== undefined) this.budget.release(this.pending.length);
    this.pending = undefined;
    this.bodyBuffer?.discard();
    this.chunked?.data.discard();
    this.holding = false;
  }

  /** Keeps `rest` for later; it counts against the budget. */
  private hold(rest: Buffer): void {
    if (!this.budget.reserve(rest.length)) throw serverBusy();
    this.pending = rest;
    this.holding = this.head === undefined && this.receivedAt === 0;
  }

  /** Parses a head starting at `pos`; returns the body's start, or -1 when more bytes are needed. */
  private readHead(buf: Buffer, pos: number, now: number): number {
    if (this.receivedAt === 0) {
      // Stray CRLFs between requests are allowed (RFC 9112 §2.2), a few of them.
      while (pos < buf.length && (buf[pos] === 13 || buf[pos] === 10)) {
        pos++;
        if (++this.blankBytes > MAX_BLANK_BYTES) throw malformed('too many empty lines before a request');
      }
      if (pos === buf.length) return -1;
      this.receivedAt = now;
      this.blankBytes = 0;
      this.scannedTo = pos;
    }
    const end = buf.indexOf(HEAD_END, Math.max(pos, this.scannedTo - 3));
    const { maxHeaderBytes, maxBodyBytes } = this.limits;
    if (end === -1 || end - pos > maxHeaderBytes) {
      // Up to 3 trailing bytes may be the start of the CRLFCRLF that ends the head.
      if (buf.length - pos - (end === -1 ? HEAD_END.length - 1 : 0) > maxHeaderBytes) throw headersTooLarge();
      this.hold(buf.subarray(pos));
      this.scannedTo = buf.length - pos;
      return -1;
    }
    const head = parseHead(buf, pos, end, maxBodyBytes);
    this.head = head;
    this.scannedTo = 0;
    if (head.contentLength === -1) this.chunked = new ChunkedBody(maxBodyBytes, maxHeaderBytes, this.budget);
    else this.bodyRemaining = head.contentLength;
    this.wantsContinue = head.expectContinue;
    return end + HEAD_END.length;
  }

  private readBody(buf: Buffer, pos: number): number {
    if (this.chunked !== undefined) return this.chunked.feed(buf, pos);
    const remaining = this.bodyRemaining;
    if (remaining === 0) return pos;
    const available = buf.length - pos;
    if (this.bodyBuffer === undefined) {
      if (available >= remaining) {
        // The whole body is in this read: a slice, no copy.
        this.body = buf.subarray(pos, pos + remaining);
        this.bodyRemaining = 0;
        return pos + remaining;
      }
      this.bodyBuffer = new BodyBuffer(this.budget, this.head!.contentLength);
    }
    const take = Math.min(remaining, available);
    this.bodyBuffer.append(buf, pos, pos + take);
    this.bodyRemaining = remaining - take;
    return pos + take;
  }

  private bodyComplete(): boolean {
    return this.chunked === undefined ? this.bodyRemaining === 0 : this.chunked.done;
  }

  private finish(now: number): ParsedRequest {
    const head = this.head!;
    const copied = this.chunked?.data ?? this.bodyBuffer;
    let body = this.body;
    let reserved = 0;
    if (copied !== undefined) {
      body = copied.length === 0 ? EMPTY : copied.body();
      reserved = copied.reserved;
    }
    const request = new ParsedRequest(head, body, reserved, this.remoteAddress, this.receivedAt, now);
    this.head = undefined;
    this.chunked = undefined;
    this.bodyBuffer = undefined;
    this.body = EMPTY;
    this.receivedAt = 0;
    this.wantsContinue = false;
    return request;
  }
}
