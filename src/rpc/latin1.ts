/**
 * Buffer's own latin1 slice and write, without `toString`/`write`'s argument handling (a tenth of
 * the head work of a cache hit). Node has had them since v0.x; undici calls `utf8Slice` the same
 * way. Only the types are declared here.
 */
interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
}

/** `buf.toString('latin1', start, end)`. */
export function latin1Slice(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Buffer).latin1Slice(start, end);
}

/** `buf.write(text, offset, text.length, 'latin1')`: `text` must fit. */
export function latin1Write(buf: Buffer, text: string, offset: number): number {
  return (buf as unknown as Latin1Buffer).latin1Write(text, offset, text.length);
}
