/**
 * Incremental decoder of a `Transfer-Encoding: chunked` request body (RFC 9112 §7.1). Chunk
 * extensions and trailer fields are read and dropped; every line and the body are bounded.
 */
import { bodyTooLarge, malformed } from './errors.js';

const LF = 10;
const CR = 13;
/** A chunk-size line: hex size, optional whitespace and extensions. */
const SIZE_LINE = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;.*)?$/;
/** Longest chunk-size or trailer line we accept; real ones are a few bytes. */
const MAX_LINE_BYTES = 4096;

const Phase = { SizeLine: 0, Data: 1, DataEnd: 2, Trailers: 3, Done: 4 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

export class ChunkedBody {
  readonly parts: Buffer[] = [];
  size = 0;
  private phase: Phase = Phase.SizeLine;
  private line = '';
  private remaining = 0;
  private trailerBytes = 0;

  constructor(
    private readonly maxBodyBytes: number,
    private readonly maxTrailerBytes: number,
  ) {}

  get done(): boolean {
    return this.phase === Phase.Done;
  }

  /** Consumes bytes of `buf` from `pos`; returns where it stopped (at the end, or after the body). */
  feed(buf: Buffer, pos: number): number {
    while (pos < buf.length && this.phase !== Phase.Done) {
      switch (this.phase) {
        case Phase.SizeLine:
        case Phase.Trailers:
          pos = this.readLine(buf, pos);
          break;
        case Phase.Data: {
          const take = Math.min(this.remaining, buf.length - pos);
          this.parts.push(buf.subarray(pos, pos + take));
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) {
            this.phase = Phase.DataEnd;
            this.line = '';
          }
          break;
        }
        case Phase.DataEnd: {
          // Exactly CRLF after the chunk data; anything else means the framing is off.
          this.line += String.fromCharCode(buf[pos]!);
          pos++;
          if (this.line.length === 2) {
            if (this.line !== '\r\n') throw malformed('chunk data is not followed by CRLF');
            this.phase = Phase.SizeLine;
            this.line = '';
          }
          break;
        }
      }
    }
    return pos;
  }

  private readLine(buf: Buffer, pos: number): number {
    const lf = buf.indexOf(LF, pos);
    const end = lf === -1 ? buf.length : lf;
    this.line += buf.toString('latin1', pos, end);
    if (this.phase === Phase.Trailers) this.trailerBytes += end - pos;
    if (this.line.length > MAX_LINE_BYTES || this.trailerBytes > this.maxTrailerBytes) {
      throw malformed('chunked framing line is too long');
    }
    if (lf === -1) return buf.length;
    if (this.line.charCodeAt(this.line.length - 1) !== CR) throw malformed('bare LF in chunked framing');
    const line = this.line.slice(0, -1);
    this.line = '';
    if (this.phase === Phase.SizeLine) this.startChunk(line);
    else if (line === '') this.phase = Phase.Done;
    return lf + 1;
  }

  private startChunk(line: string): void {
    const match = SIZE_LINE.exec(line);
    if (match === null) throw malformed('invalid chunk size');
    const size = Number.parseInt(match[1]!, 16);
    if (size === 0) {
      this.phase = Phase.Trailers;
      return;
    }
    this.size += size;
    if (this.size > this.maxBodyBytes) throw bodyTooLarge(this.maxBodyBytes);
    this.remaining = size;
    this.phase = Phase.Data;
  }
}
