/**
 * Turns the bytes of one connection into complete requests. Bytes may arrive in any split; a
 * request that arrives whole in one read (the usual case) is sliced without copying. Throws a
 * GatewayError for input that is not HTTP/1.x or breaks a limit; the connection then closes.
 */
import { ChunkedBody } from './chunked-body.js';
import { headersTooLarge } from './errors.js';
import type { HttpRequest } from './exchange.js';
import { parseHead, type RequestHead } from './head.js';

const HEAD_END = Buffer.from('\r\n\r\n');

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

  constructor(
    head: RequestHead,
    readonly body: Buffer,
    readonly remoteAddress: string | undefined,
    readonly receivedAt: number,
    readonly completeAt: number,
  ) {
    this.method = head.method;
    this.url = head.url;
    this.minorVersion = head.minorVersion;
    this.headers = head.headers;
    this.keepAlive = head.keepAlive;
  }
}

export class RequestParser {
  /** Bytes received but not consumed yet (an incomplete head). */
  private pending: Buffer | undefined;
  /** Where to resume the search for the end of the head in `pending`. */
  private scannedTo = 0;
  private head: RequestHead | undefined;
  private bodyParts: Buffer[] = [];
  private bodyRemaining = 0;
  private chunked: ChunkedBody | undefined;
  /** `performance.now()` at the first byte of the request in progress; 0 when between requests. */
  receivedAt = 0;
  /** Set when a head asked for `100-continue` and its body has not fully arrived. */
  wantsContinue = false;

  constructor(
    private readonly limits: ParserLimits,
    private readonly remoteAddress: string | undefined,
  ) {}

  /** True while a request's head has been read and its body has not. */
  get readingBody(): boolean {
    return this.head !== undefined;
  }

  /** Consumes `chunk`; appends every request it completes to `out`. */
  push(chunk: Buffer, now: number, out: ParsedRequest[]): void {
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let pos = 0;
    while (pos < buf.length) {
      if (this.head === undefined) {
        const next = this.readHead(buf, pos, now);
        if (next === -1) return;
        pos = next;
      }
      pos = this.readBody(buf, pos);
      if (this.bodyComplete()) out.push(this.finish(now));
    }
  }

  /** Parses a head starting at `pos`; returns the body's start, or -1 when more bytes are needed. */
  private readHead(buf: Buffer, pos: number, now: number): number {
    if (this.receivedAt === 0) {
      // Stray CRLFs between requests are allowed (RFC 9112 §2.2).
      while (pos < buf.length && (buf[pos] === 13 || buf[pos] === 10)) pos++;
      if (pos === buf.length) return -1;
      this.receivedAt = now;
      this.scannedTo = pos;
    }
    const end = buf.indexOf(HEAD_END, Math.max(pos, this.scannedTo - 3));
    const { maxHeaderBytes, maxBodyBytes } = this.limits;
    if (end === -1 || end - pos > maxHeaderBytes) {
      // Up to 3 trailing bytes may be the start of the CRLFCRLF that ends the head.
      if (buf.length - pos - (end === -1 ? HEAD_END.length - 1 : 0) > maxHeaderBytes) throw headersTooLarge();
      this.pending = buf.subarray(pos);
      this.scannedTo = this.pending.length;
      return -1;
    }
    const head = parseHead(buf, pos, end, maxBodyBytes);
    this.head = head;
    this.scannedTo = 0;
    if (head.contentLength === -1) this.chunked = new ChunkedBody(maxBodyBytes, maxHeaderBytes);
    else this.bodyRemaining = head.contentLength;
    this.wantsContinue = head.expectContinue;
    return end + HEAD_END.length;
  }

  private readBody(buf: Buffer, pos: number): number {
    if (this.chunked !== undefined) return this.chunked.feed(buf, pos);
    const take = Math.min(this.bodyRemaining, buf.length - pos);
    if (take > 0) {
      this.bodyParts.push(buf.subarray(pos, pos + take));
      this.bodyRemaining -= take;
    }
    return pos + take;
  }

  private bodyComplete(): boolean {
    return this.chunked === undefined ? this.bodyRemaining === 0 : this.chunked.done;
  }

  private finish(now: number): ParsedRequest {
    const head = this.head!;
    const parts = this.chunked?.parts ?? this.bodyParts;
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const request = new ParsedRequest(head, body, this.remoteAddress, this.receivedAt, now);
    this.head = undefined;
    this.chunked = undefined;
    this.bodyParts = [];
    this.receivedAt = 0;
    this.wantsContinue = false;
    return request;
  }
}
