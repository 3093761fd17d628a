/**
 * Incremental decoder of a `Transfer-Encoding: chunked` request body (RFC 9112 §7.1), byte by
 * byte for the framing, one copy for the data. Chunk data goes into one growing buffer
 * (body-buffer.ts), so a million one-byte chunks cost their bytes, not a Buffer each; framing
 * builds no strings. Chunk extensions and trailer fields are read and dropped; each line is
 * bounded, and all of them together may take at most `maxExtraBytes`.
 */
import { BodyBuffer, type RequestBudget, UNBOUNDED } from './body-buffer.js';
import { bodyTooLarge, malformed } from './errors.js';

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const SEMICOLON = 59;
/** Longest chunk extension or trailer line we accept; real ones are a few bytes. */
const MAX_LINE_BYTES = 4096;
/** Hex digits of a chunk size (8: up to 4 GiB, far above any body limit). */
const MAX_SIZE_DIGITS = 8;

const Phase = {
  /** Hex digits of the chunk size. */
  Size: 0,
  /** Whitespace after the size (before `;` or CR). */
  SizeSpace: 1,
  /** A chunk extension, up to CR. */
  Extension: 2,
  /** The LF ending a size line. */
  SizeLf: 3,
  Data: 4,
  DataCr: 5,
  DataLf: 6,
  /** A trailer field line, or the empty line ending the body. */
  Trailer: 7,
  TrailerLf: 8,
  Done: 9,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** The value of a hex digit, or -1. */
function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  const lower = byte | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

export class ChunkedBody {
  readonly data: BodyBuffer;
  private phase: Phase = Phase.Size;
  private chunkSize = 0;
  private digits = 0;
  private remaining = 0;
  /** Bytes of the extension or trailer line being read. */
  private lineBytes = 0;
  /** Bytes of every extension and trailer line so far. */
  private extraBytes = 0;

  constructor(
    private readonly maxBodyBytes: number,
    private readonly maxExtraBytes: number,
    budget: RequestBudget = UNBOUNDED,
  ) {
    this.data = new BodyBuffer(budget, maxBodyBytes);
  }

  get done(): boolean {
    return this.phase === Phase.Done;
  }

  /** Decoded body bytes so far. */
  get size(): number {
    return this.data.length;
  }

  /** Consumes bytes of `buf` from `pos`; returns where it stopped (at the end, or after the body). */
  feed(buf: Buffer, pos: number): number {
    const end = buf.length;
    while (pos < end) {
      const phase = this.phase;
      if (phase === Phase.Data) {
        const take = Math.min(this.remaining, end - pos);
        this.data.append(buf, pos, pos + take);
        this.remaining -= take;
        pos += take;
        if (this.remaining === 0) this.phase = Phase.DataCr;
        continue;
      }
      if (phase === Phase.Done) break;
      this.step(buf[pos]!);
      pos++;
    }
    return pos;
  }

  /** One byte of framing. */
  private step(byte: number): void {
    switch (this.phase) {
      case Phase.Size: {
        const value = hexValue(byte);
        if (value !== -1) {
          if (++this.digits > MAX_SIZE_DIGITS) throw malformed('invalid chunk size');
          this.chunkSize = this.chunkSize * 16 + value;
          return;
        }
        if (this.digits === 0) throw malformed('invalid chunk size');
        this.afterSize(byte);
        return;
      }
      case Phase.SizeSpace:
        this.afterSize(byte);
        return;
      case Phase.Extension:
        if (byte === CR) this.phase = Phase.SizeLf;
        else if (byte === LF) throw malformed('bare LF in chunked framing');
        else this.countExtra();
        return;
      case Phase.SizeLf:
        if (byte !== LF) throw malformed('bare CR in chunked framing');
        this.startChunk();
        return;
      case Phase.DataCr:
      case Phase.DataLf:
        // Exactly CRLF after the chunk data; anything else means the framing is off.
        if (byte !== (this.phase === Phase.DataCr ? CR : LF))
          throw malformed('chunk data is not followed by CRLF');
        this.phase = this.phase === Phase.DataCr ? Phase.DataLf : Phase.Size;
        return;
      case Phase.Trailer:
        if (byte === CR) this.phase = Phase.TrailerLf;
        else if (byte === LF) throw malformed('bare LF in chunked framing');
        else this.countExtra();
        return;
      case Phase.TrailerLf:
        if (byte !== LF) throw malformed('bare CR in chunked framing');
        this.phase = this.lineBytes === 0 ? Phase.Done : Phase.Trailer;
        this.lineBytes = 0;
        return;
    }
  }

  /** A byte after the size digits: whitespace, the start of an extension, or CR. */
  private afterSize(byte: number): void {
    if (byte === SPACE || byte === TAB) this.phase = Phase.SizeSpace;
    else if (byte === SEMICOLON) {
      this.phase = Phase.Extension;
      this.countExtra();
    } else if (byte === CR) this.phase = Phase.SizeLf;
    else if (byte === LF) throw malformed('bare LF in chunked framing');
    else throw malformed('invalid chunk size');
  }

  private countExtra(): void {
    if (++this.lineBytes > MAX_LINE_BYTES || ++this.extraBytes > this.maxExtraBytes)
      throw malformed('chunk extensions or trailers are too long');
  }

  private startChunk(): void {
    const size = this.chunkSize;
    this.chunkSize = 0;
    this.digits = 0;
    this.lineBytes = 0;
    if (size === 0) {
      this.phase = Phase.Trailer;
      return;
    }
    if (this.data.length + size > this.maxBodyBytes) throw bodyTooLarge(this.maxBodyBytes);
    this.remaining = size;
    this.phase = Phase.Data;
  }
}
