import { describe, expect, it } from 'vitest';
import { ChunkedBody } from './chunked-body.js';

const MAX_BODY = 64;
const MAX_TRAILERS = 128;

interface Decoded {
  body: string;
  /** Bytes of the input left after the body (the next pipelined request). */
  rest: string;
  size: number;
}

/** Feeds `chunks` in order until the body is done; what is left of the input is `rest`. */
function decode(chunks: readonly string[], maxBody = MAX_BODY): Decoded {
  const decoder = new ChunkedBody(maxBody, MAX_TRAILERS);
  let rest = '';
  for (const chunk of chunks) {
    const buf = Buffer.from(chunk, 'latin1');
    const pos = decoder.feed(buf, 0);
    if (decoder.done) rest += buf.toString('latin1', pos);
    else expect(pos).toBe(buf.length);
  }
  expect(decoder.done).toBe(true);
  return { body: decoder.data.body().toString('latin1'), rest, size: decoder.size };
}

/** The error thrown while decoding `chunks`. */
function decodeError(chunks: readonly string[], maxBody = MAX_BODY): unknown {
  const decoder = new ChunkedBody(maxBody, MAX_TRAILERS);
  try {
    for (const chunk of chunks) decoder.feed(Buffer.from(chunk, 'latin1'), 0);
  } catch (err) {
    return err;
  }
  throw new Error(`decoded without an error (done: ${decoder.done})`);
}

const bytes = (text: string) => [...text];
const splitsInTwo = (text: string) =>
  Array.from({ length: text.length - 1 }, (_, i) => [text.slice(0, i + 1), text.slice(i + 1)]);

const malformed = { code: 'ERR_MALFORMED_HTTP', httpStatus: 400 };
const tooLarge = { code: 'ERR_BODY_TOO_LARGE', httpStatus: 413 };

/** Extensions (with a quoted value and whitespace), uppercase hex, leading zeros and trailers. */
const BODY =
  '5;name=value;quoted="a;b"\r\nhello\r\n00A \t; x\r\n, chunked!\r\n1\r\n\n\r\n' +
  '0;last=1\r\nX-Trailer: 1\r\nContent-Length: 99\r\n\r\n';
const NEXT = 'GET / HTTP/1.1\r\n';

describe('ChunkedBody', () => {
  it('decodes chunks, drops extensions and trailers, and stops at the end of the body', () => {
    expect(decode([BODY + NEXT])).toEqual({ body: 'hello, chunked!\n', rest: NEXT, size: 16 });
  });

  it('decodes the same body when fed one byte at a time', () => {
    expect(decode(bytes(BODY + NEXT))).toEqual({ body: 'hello, chunked!\n', rest: NEXT, size: 16 });
  });

  it('decodes the same body for every split in two', () => {
    for (const chunks of splitsInTwo(BODY + NEXT)) {
      expect(decode(chunks)).toEqual({ body: 'hello, chunked!\n', rest: NEXT, size: 16 });
    }
  });

  it('decodes an empty body', () => {
    expect(decode(['0\r\n\r\n'])).toEqual({ body: '', rest: '', size: 0 });
  });

  it('decodes a body of exactly maxBodyBytes', () => {
    const data = 'x'.repeat(MAX_BODY);
    expect(decode([`40\r\n${data}\r\n0\r\n\r\n`]).body).toBe(data);
  });

  it('keeps chunk data that looks like framing as data', () => {
    expect(decode(['7\r\n0\r\n\r\n\r\n\r\n0\r\n\r\n']).body).toBe('0\r\n\r\n\r\n');
  });
});

describe('ChunkedBody: errors', () => {
  it.each([
    ['an empty size line', '\r\n'],
    ['a non-hex size', 'g\r\n'],
    ['a negative size', '-1\r\n'],
    ['a 0x prefix', '0x5\r\nhello\r\n0\r\n\r\n'],
    ['whitespace before the size', ' 5\r\nhello\r\n0\r\n\r\n'],
    ['a size of more than 8 hex digits', '000000005\r\nhello\r\n0\r\n\r\n'],
    ['a bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
    ['a bare CR in an extension', '5;a\rb\r\nhello\r\n0\r\n\r\n'],
    ['a missing CRLF after chunk data', '5\r\nhello0\r\n\r\n'],
    ['a bare LF after chunk data', '5\r\nhello\n0\r\n\r\n'],
    ['chunk data longer than its size', '4\r\nhello\r\n0\r\n\r\n'],
    ['a bare LF ending the trailers', '0\r\nX-A: 1\r\n\n'],
    ['a size line longer than 4096 bytes', `5;${'e'.repeat(4100)}\r\nhello\r\n0\r\n\r\n`],
    ['trailers over the header limit', `0\r\n${'X-Trailer: 1234567890\r\n'.repeat(8)}\r\n`],
  ])('rejects %s with 400, in one chunk or byte by byte', (_name, input) => {
    expect(decodeError([input])).toMatchObject(malformed);
    expect(decodeError(bytes(input))).toMatchObject(malformed);
  });

  it('rejects chunks adding up to more than maxBodyBytes with 413', () => {
    const input = `20\r\n${'a'.repeat(32)}\r\n21\r\n${'b'.repeat(33)}\r\n0\r\n\r\n`;
    expect(decodeError([input])).toMatchObject({ ...tooLarge, data: { limit: MAX_BODY } });
    expect(decodeError(bytes(input))).toMatchObject(tooLarge);
  });

  it('rejects a chunk size over maxBodyBytes before its data arrives', () => {
    expect(decodeError(['ffffffff\r\n'])).toMatchObject(tooLarge);
  });
});
