/**
 * Properties of the HTTP/1.1 request parser and chunked decoder: any bytes end in requests or one
 * of the documented parse errors, however the reads split them; valid requests, pipelined,
 * parse to what was sent at every read boundary.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { ChunkedBody } from '../../src/http/http1/chunked-body.js';
import {
  MAX_QUEUED,
  type ParsedRequest,
  type ParserLimits,
  RequestParser,
} from '../../src/http/http1/request-parser.js';
import { type RequestView, requestView as view } from '../support/request-view.js';
import { checkProperty, FUZZ_TIMEOUT, reportCases } from './fuzz-settings.js';

/** The only errors the parser may throw. */
const PARSE_ERRORS = new Set(['ERR_MALFORMED_HTTP', 'ERR_BODY_TOO_LARGE', 'ERR_HEADERS_TOO_LARGE']);
/** Small limits, so random input reaches them. */
const SMALL: ParserLimits = { maxHeaderBytes: 256, maxBodyBytes: 128 };
const LARGE: ParserLimits = { maxHeaderBytes: 16_384, maxBodyBytes: 1_048_576 };

/** What parsing a stream of reads gave: requests, the error code if any, and a request in progress. */
interface Outcome {
  requests: RequestView[];
  error: string | undefined;
  partial: boolean;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Parses `reads` as a connection does: after each read it takes the queue, and while the parser
 * holds the rest of a read (16 queued, or a body copied out of its reads) it asks for it again.
 */
function feed(reads: readonly Buffer[], limits: ParserLimits): Outcome {
  const parser = new RequestParser(limits, '127.0.0.1');
  const out: ParsedRequest[] = [];
  const queue: ParsedRequest[] = [];
  let error: string | undefined;
  try {
    reads.forEach((read, i) => {
      let chunk = read;
      for (;;) {
        parser.push(chunk, i + 1, queue);
        expect(queue.length).toBeLessThanOrEqual(MAX_QUEUED);
        out.push(...queue.splice(0));
        if (!parser.holding) break;
        chunk = NO_BYTES;
      }
    });
  } catch (err) {
    // Anything but a GatewayError with a parse code is a bug: rethrow it for fast-check to shrink.
    if (!(err instanceof GatewayError) || !PARSE_ERRORS.has(err.code)) throw err;
    error = err.code;
    // Requests completed before the bad bytes are still answered.
    out.push(...queue.splice(0));
  }
  for (const request of out) expect(request.body.length).toBeLessThanOrEqual(limits.maxBodyBytes);
  return { requests: out.map(view), error, partial: error === undefined && parser.receivedAt !== 0 };
}

/** `bytes` cut at the given offsets (sorted, deduplicated, inside the buffer). */
function cut(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const reads: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    if (point > from) reads.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  if (from < bytes.length || reads.length === 0) reads.push(bytes.subarray(from));
  return reads;
}

// ---------------------------------------------------------------------------------------------
// Generators

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const token = (max: number) =>
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: max });

/** Pieces of HTTP that random streams are glued from, so they get past the request line often. */
const FRAGMENTS = [
  'GET ',
  'POST ',
  'HEAD ',
  '/',
  '/eth?x=1',
  ' HTTP/1.1',
  ' HTTP/1.0',
  ' HTTP/2.0',
  '\r\n',
  '\r\n\r\n',
  '\n',
  '\r',
  'Host: gw\r\n',
  'host:gw',
  'Content-Length: ',
  'content-length:',
  'Transfer-Encoding: chunked\r\n',
  'transfer-encoding: gzip, chunked',
  'Connection: close',
  'Expect: 100-continue',
  'Content-Type: application/json\r\n',
  ': ',
  ' :',
  '\t',
  ' ',
  '0',
  '5',
  '10',
  '99999999999999999999',
  'ffffffff',
  ';ext=1',
  '0\r\n\r\n',
  '5\r\nhello\r\n',
  '__proto__: x\r\n',
  'constructor: y\r\n',
  '\x00',
  '\x7f',
  '\xff',
  '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
];

/** Random byte streams: pure noise, or HTTP fragments with noise mixed in. */
const randomStream = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...FRAGMENTS) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 8 }) },
        { weight: 1, arbitrary: fc.nat(300).map(String) },
        { weight: 1, arbitrary: fc.nat(0xfff).map((n) => n.toString(16)) },
      ),
      { maxLength: 60 },
    )
    .map((parts) => latin1(parts.join(''))),
);

/** Header names the generated requests set themselves (or that other properties cover). */
const RESERVED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'content-type',
  'connection',
  'expect',
  '__proto__',
]);

/** A field value: visible ASCII, obs-text and inner spaces/tabs, with optional whitespace around. */
const fieldValue = fc
  .tuple(
    fc.constantFrom('', ' ', '  ', '\t', ' \t'),
    fc.array(
      fc.oneof(
        fc.integer({ min: 0x21, max: 0x7e }),
        fc.integer({ min: 0x80, max: 0xff }),
        fc.constantFrom(0x20, 0x09),
      ),
      { maxLength: 24 },
    ),
    fc.constantFrom('', ' ', '\t '),
  )
  .map(([before, bytes, after]) => {
    const inner = String.fromCharCode(...bytes).replace(/^[ \t]+|[ \t]+$/g, '');
    return { sent: `${before}${inner}${after}`, parsed: inner };
  });

/** Spell a field name in a random case. */
const anyCase = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

interface GeneratedRequest {
  readonly bytes: string;
  readonly expected: RequestView;
}

const target = fc
  .array(fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })), {
    maxLength: 40,
  })
  .map((bytes) => `/${String.fromCharCode(...bytes)}`);

const CONNECTION = ['close', 'keep-alive', 'Keep-Alive', 'upgrade, close', 'x, keep-alive', 'closed', 'te'];

function keepAliveOf(connection: string | undefined, minorVersion: number): boolean {
  if (connection === undefined) return minorVersion === 1;
  const tokens = connection
    .toLowerCase()
    .split(',')
    .map((t) => t.trim());
  if (tokens.includes('close')) return false;
  return minorVersion === 1 || tokens.includes('keep-alive');
}

/** A chunked encoding of `body`: random chunk sizes, hex spellings, extensions and trailers. */
const chunkedEncoding = (body: string) =>
  fc
    .record({
      cuts: fc.array(fc.nat(Math.max(0, body.length)), { maxLength: 6 }),
      upper: fc.boolean(),
      zeros: fc.nat(3),
      extension: fc.constantFrom('', ';a=b', ' ;x', '\t;q="v"'),
      lastExtension: fc.constantFrom('', ';last'),
      trailers: fc.array(fc.tuple(token(10), fieldValue), { maxLength: 2 }),
    })
    .map(({ cuts, upper, zeros, extension, lastExtension, trailers }) => {
      const chunks = cut(latin1(body), cuts).filter((c) => c.length > 0);
      let out = '';
      for (const chunk of chunks) {
        let size = chunk.length.toString(16);
        if (upper) size = size.toUpperCase();
        size = '0'.repeat(Math.min(zeros, 8 - size.length)) + size;
        out += `${size}${extension}\r\n${chunk.toString('latin1')}\r\n`;
      }
      out += `0${lastExtension}\r\n`;
      for (const [name, value] of trailers) out += `${name}:${value.sent}\r\n`;
      return `${out}\r\n`;
    });

const validRequest: fc.Arbitrary<GeneratedRequest> = fc
  .record({
    method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'), token(12)),
    url: target,
    minorVersion: fc.constantFrom(0, 1, 1),
    hostName: anyCase('host'),
    host: fieldValue,
    withHostOn10: fc.boolean(),
    headers: fc.uniqueArray(
      fc.tuple(
        fc.oneof(
          token(16),
          fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'X-Api-Key', 'Origin'),
        ),
        fieldValue,
      ),
      { maxLength: 6, selector: ([name]) => name.toLowerCase() },
    ),
    contentType: fc.option(fc.constantFrom('application/json', 'text/plain; charset=utf-8'), {
      nil: undefined,
    }),
    connection: fc.option(fc.constantFrom(...CONNECTION), { nil: undefined }),
    body: fc.string({ unit: 'binary-ascii', maxLength: 120 }),
    framing: fc.constantFrom('length', 'chunked', 'none'),
    lengthName: anyCase('content-length'),
    chunkedName: anyCase('transfer-encoding'),
    chunkedValue: fc.constantFrom('chunked', 'Chunked', ' chunked ', 'CHUNKED'),
    chunkSeed: fc.nat(),
    strayCrlf: fc.nat(2),
  })
  .chain((r) => {
    const framing = r.minorVersion === 0 && r.framing === 'chunked' ? 'length' : r.framing;
    const body = framing === 'none' ? '' : r.body;
    const encoded = framing === 'chunked' ? chunkedEncoding(body) : fc.constant(body);
    return encoded.map((encodedBody): GeneratedRequest => {
      const headers: Record<string, string> = {};
      let head = `${r.method} ${r.url} HTTP/1.${r.minorVersion}\r\n`;
      const add = (name: string, sent: string, parsed: string) => {
        head += `${name}:${sent}\r\n`;
        headers[name.toLowerCase()] = parsed;
      };
      if (r.minorVersion === 1 || r.withHostOn10) add(r.hostName, r.host.sent, r.host.parsed);
      for (const [name, value] of r.headers) {
        if (!RESERVED.has(name.toLowerCase())) add(name, value.sent, value.parsed);
      }
      if (r.contentType !== undefined) add('Content-Type', ` ${r.contentType}`, r.contentType);
      if (r.connection !== undefined) add('Connection', ` ${r.connection}`, r.connection);
      if (framing === 'length') add(r.lengthName, ` ${body.length}`, String(body.length));
      if (framing === 'chunked') add(r.chunkedName, r.chunkedValue, r.chunkedValue.trim());
      return {
        bytes: `${'\r\n'.repeat(r.strayCrlf)}${head}\r\n${encodedBody}`,
        expected: {
          method: r.method,
          url: r.url,
          minorVersion: r.minorVersion,
          headers,
          keepAlive: keepAliveOf(r.connection, r.minorVersion),
          body,
        },
      };
    });
  });

const pipeline = fc.array(validRequest, { minLength: 1, maxLength: 3 }).map((requests) => ({
  bytes: latin1(requests.map((r) => r.bytes).join('')),
  expected: requests.map((r) => r.expected),
}));

// ---------------------------------------------------------------------------------------------

afterAll(() => reportCases('http1-parser'));

describe('HTTP/1.1 request parser (property)', () => {
  it(
    'random bytes end in requests or a documented parse error, the same in one read or byte by byte',
    async () => {
      await checkProperty(
        'http1 random bytes',
        fc.property(randomStream, fc.constantFrom(SMALL, LARGE), (bytes, limits) => {
          const whole = feed([bytes], limits);
          const bytewise = feed(cut(bytes, [...bytes.keys()]), limits);
          expect(bytewise).toEqual(whole);
        }),
        2,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'random bytes give the same outcome at random read boundaries',
    async () => {
      await checkProperty(
        'http1 random bytes, random reads',
        fc.property(randomStream, fc.array(fc.nat(), { maxLength: 12 }), (bytes, offsets) => {
          expect(feed(cut(bytes, offsets), SMALL)).toEqual(feed([bytes], SMALL));
        }),
        2,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'valid pipelined requests parse to what was sent, split at every read boundary',
    async () => {
      await checkProperty(
        'http1 valid pipelines, every boundary',
        fc.property(pipeline, ({ bytes, expected }) => {
          const want: Outcome = { requests: expected, error: undefined, partial: false };
          expect(feed([bytes], LARGE)).toEqual(want);
          const wanted = JSON.stringify(want);
          for (let at = 1; at < bytes.length; at++) {
            const split = feed([bytes.subarray(0, at), bytes.subarray(at)], LARGE);
            // A string compare first: expect() on every boundary would be most of the run time.
            if (JSON.stringify(split) !== wanted) expect(split, `split at ${at}`).toEqual(want);
          }
          expect(feed(cut(bytes, [...bytes.keys()]), LARGE)).toEqual(want);
        }),
        0.3,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'valid pipelined requests parse the same at random read boundaries',
    async () => {
      await checkProperty(
        'http1 valid pipelines, random reads',
        fc.property(pipeline, fc.array(fc.nat(), { maxLength: 20 }), ({ bytes, expected }, offsets) => {
          expect(feed(cut(bytes, offsets), LARGE)).toEqual({
            requests: expected,
            error: undefined,
            partial: false,
          });
        }),
        1,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'a valid request cut short is incomplete, never an error',
    async () => {
      await checkProperty(
        'http1 truncated requests',
        fc.property(pipeline, fc.nat(), ({ bytes, expected }, at) => {
          const end = at % bytes.length;
          const outcome = feed([bytes.subarray(0, end)], LARGE);
          expect(outcome.error).toBeUndefined();
          expect(outcome.requests).toEqual(expected.slice(0, outcome.requests.length));
        }),
        1,
      );
    },
    FUZZ_TIMEOUT,
  );
});

describe('chunked body decoder (property)', () => {
  /** Decodes `reads` from one decoder; returns the body, where it stopped in the last read, or the error. */
  function decode(
    reads: readonly Buffer[],
    maxBody: number,
  ): { body?: string; stop?: number; error?: string } {
    const decoder = new ChunkedBody(maxBody, 1024);
    try {
      for (const read of reads) {
        const stop = decoder.feed(read, 0);
        expect(stop).toBeGreaterThanOrEqual(0);
        expect(stop).toBeLessThanOrEqual(read.length);
        // The one buffer the data is copied into never grows past the body limit.
        expect(decoder.data.reserved).toBeLessThanOrEqual(maxBody);
        expect(decoder.size).toBe(decoder.data.length);
        if (decoder.done) return { body: decoder.data.body().toString('latin1'), stop };
        // Not done: the decoder must have taken the whole read (no progress would loop the parser).
        expect(stop).toBe(read.length);
      }
      return {};
    } catch (err) {
      if (!(err instanceof GatewayError) || !PARSE_ERRORS.has(err.code)) throw err;
      return { error: err.code };
    }
  }

  it(
    'decodes any valid encoding to the body and stops right after it, in any split',
    async () => {
      await checkProperty(
        'chunked valid encodings',
        fc.property(
          fc
            .string({ unit: 'binary', maxLength: 300 })
            .map((s) => Buffer.from(s).toString('latin1'))
            .chain((body) => fc.tuple(fc.constant(body), chunkedEncoding(body))),
          fc.array(fc.nat(), { maxLength: 10 }),
          fc.string({ unit: 'binary-ascii', maxLength: 20 }),
          ([body, encoded], offsets, after) => {
            const whole = decode([latin1(encoded + after)], 1 << 20);
            expect(whole).toEqual({ body, stop: encoded.length });
            const reads = cut(latin1(encoded), offsets);
            expect(decode(reads, 1 << 20)).toMatchObject({ body });
            expect(decode(reads, Math.max(0, body.length - 1))).toEqual(
              body.length === 0 ? { body, stop: reads.at(-1)!.length } : { error: 'ERR_BODY_TOO_LARGE' },
            );
          },
        ),
        0.5,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'random bytes end in a body, a wait for more, or a documented error, the same byte by byte',
    async () => {
      await checkProperty(
        'chunked random bytes',
        fc.property(randomStream, (bytes) => {
          const whole = decode([bytes], 64);
          const bytewise = decode(cut(bytes, [...bytes.keys()]), 64);
          expect(bytewise.error).toEqual(whole.error);
          expect(bytewise.body).toEqual(whole.body);
        }),
        1,
      );
    },
    FUZZ_TIMEOUT,
  );
});
