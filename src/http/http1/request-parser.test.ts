import { describe, expect, it } from 'vitest';
import { requestView as view } from '../../../test/support/request-view.js';
import { type ParsedRequest, type ParserLimits, RequestParser } from './request-parser.js';

const LIMITS: ParserLimits = { maxHeaderBytes: 1024, maxBodyBytes: 4096 };

/**
 * Feeds `chunks` to one parser (chunk `i` arrives at time `i + 1`); returns the requests completed.
 * Like a connection, it takes the queued requests whenever the parser holds, and lets it go on.
 */
function parse(chunks: readonly (string | Buffer)[], limits = LIMITS): ParsedRequest[] {
  const parser = new RequestParser(limits, '10.0.0.1');
  const out: ParsedRequest[] = [];
  const queue: ParsedRequest[] = [];
  chunks.forEach((chunk, i) => {
    parser.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk, i + 1, queue);
    for (;;) {
      out.push(...queue.splice(0));
      if (!parser.holding) break;
      parser.push(Buffer.alloc(0), i + 1, queue);
    }
  });
  return out;
}

const bytes = (text: string) => [...text];
const splitsInTwo = (text: string) =>
  Array.from({ length: text.length - 1 }, (_, i) => [text.slice(0, i + 1), text.slice(i + 1)]);

/** The error thrown while parsing `chunks`. */
function parseError(chunks: readonly string[], limits = LIMITS): unknown {
  try {
    parse(chunks, limits);
  } catch (err) {
    return err;
  }
  throw new Error('parsed without an error');
}

const malformed = { code: 'ERR_MALFORMED_HTTP', httpStatus: 400 };
const tooLarge = { code: 'ERR_BODY_TOO_LARGE', httpStatus: 413 };
const headersTooLarge = { code: 'ERR_HEADERS_TOO_LARGE', httpStatus: 431 };

const POST =
  'POST /eth?x=1 HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n' +
  '{"id":1,"a":2}';
const CHUNKED =
  'POST /chunked HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n' +
  '5;name=value;flag\r\nhello\r\nA \r\n, chunked!\r\n0;last\r\nx-trailer: 1\r\nx-other: 2\r\n\r\n';
const GET = 'GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Tab: a\tb\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n';
/** Three pipelined requests behind stray CRLFs, as one connection would carry them. */
const STREAM = `\r\n\r\n${POST}\r\n${CHUNKED}${GET}`;

describe('RequestParser: splits', () => {
  const whole = parse([STREAM]).map(view);

  it('parses pipelined requests from one chunk, skipping stray CRLFs', () => {
    expect(whole).toEqual([
      {
        method: 'POST',
        url: '/eth?x=1',
        minorVersion: 1,
        headers: { host: 'gw', 'content-type': 'application/json', 'content-length': '14' },
        keepAlive: true,
        body: '{"id":1,"a":2}',
      },
      {
        method: 'POST',
        url: '/chunked',
        minorVersion: 1,
        headers: { host: 'gw', 'transfer-encoding': 'chunked' },
        keepAlive: true,
        body: 'hello, chunked!',
      },
      {
        method: 'GET',
        url: '/healthz',
        minorVersion: 1,
        headers: { host: 'gw', 'x-tab': 'a\tb', 'x-multi': '1, 2' },
        keepAlive: true,
        body: '',
      },
    ]);
  });

  it('gives the same requests when fed one byte at a time', () => {
    expect(parse(bytes(STREAM)).map(view)).toEqual(whole);
  });

  it('gives the same requests for every split in two', () => {
    for (const chunks of splitsInTwo(STREAM)) expect(parse(chunks).map(view)).toEqual(whole);
  });

  it('stamps receivedAt at the first byte of a request and completeAt at its last', () => {
    const head = 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\n';
    const [request] = parse(['\r\n', head.slice(0, 5), head.slice(5), 'a', 'b']);
    expect(request).toMatchObject({ receivedAt: 2, completeAt: 5, remoteAddress: '10.0.0.1' });
  });

  it('holds a request until its body is complete', () => {
    const parser = new RequestParser(LIMITS, undefined);
    const out: ParsedRequest[] = [];
    parser.push(Buffer.from(POST.slice(0, -1)), 1, out);
    expect(out).toHaveLength(0);
    expect(parser.readingBody).toBe(true);
    parser.push(Buffer.from(POST.slice(-1)), 2, out);
    expect(out.map(view)).toEqual([whole[0]]);
    expect(parser.readingBody).toBe(false);
  });
});

describe('RequestParser: connection semantics', () => {
  const keepAlive = (head: string) => parse([`${head}\r\n\r\n`])[0]!.keepAlive;

  it('HTTP/1.0 closes by default and keeps alive only when asked', () => {
    expect(keepAlive('GET / HTTP/1.0')).toBe(false);
    expect(keepAlive('GET / HTTP/1.0\r\nConnection: keep-alive')).toBe(true);
    expect(keepAlive('GET / HTTP/1.0\r\nConnection: Keep-Alive, Upgrade')).toBe(true);
    expect(keepAlive('GET / HTTP/1.0\r\nConnection: keep-alive, close')).toBe(false);
  });

  it('HTTP/1.1 keeps alive by default and closes on Connection: close', () => {
    expect(keepAlive('GET / HTTP/1.1\r\nHost: a')).toBe(true);
    expect(keepAlive('GET / HTTP/1.1\r\nHost: a\r\nConnection: close')).toBe(false);
    expect(keepAlive('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade ,CLOSE')).toBe(false);
    expect(keepAlive('GET / HTTP/1.1\r\nHost: a\r\nConnection: closed')).toBe(true);
  });

  it('asks for 100-continue only for an HTTP/1.1 head whose body has not arrived', () => {
    const parser = new RequestParser(LIMITS, undefined);
    const out: ParsedRequest[] = [];
    const head = 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n';
    parser.push(Buffer.from(head), 1, out);
    expect(parser.wantsContinue).toBe(true);
    parser.push(Buffer.from('{}'), 2, out);
    expect(parser.wantsContinue).toBe(false);
    expect(out).toHaveLength(1);
    const old = new RequestParser(LIMITS, undefined);
    old.push(Buffer.from('POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n'), 1, out);
    expect(old.wantsContinue).toBe(false);
  });

  it('ignores a __proto__ header', () => {
    const [request] = parse(['GET / HTTP/1.1\r\nHost: a\r\n__proto__: {"polluted":1}\r\nX-A: 1\r\n\r\n']);
    expect([null, Object.prototype]).toContain(Object.getPrototypeOf(request!.headers));
    expect(Object.keys(request!.headers)).toEqual(['host', 'x-a']);
    expect((request!.headers as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lowercases field names in any case, common or not, with values trimmed of OWS only', () => {
    const [request] = parse([
      'GET / HTTP/1.1\r\nHOST: a\r\ncOnTeNt-TyPe: \t x/y \t\r\nX-Api-Kez: 1\r\nX-API-KEY: 2\r\nUser-Agent:\r\n\r\n',
    ]);
    expect(request!.headers).toEqual({
      host: 'a',
      'content-type': 'x/y',
      'x-api-kez': '1',
      'x-api-key': '2',
      'user-agent': '',
    });
  });

  it('gives every request its own method, target and values, however alike the ones before', () => {
    const request = (method: string, target: string, host: string, type: string) =>
      `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${type}\r\nContent-Length: 0\r\n\r\n`;
    const requests = parse([
      request('POST', '/eth/key-a', 'a.example', 'application/json'),
      request('POST', '/eth/key-a', 'a.example', 'application/json'),
      request('PUT', '/eth/key-b', 'b.example', 'application/jsoN'),
      request('PROPFIND', '/eth/key-b', 'b.exampl\xe9', 'text/plain'),
      request('post', '/eth/key-a', 'a.example', 'application/json'),
    ]);
    expect(requests.map((r) => [r.method, r.url, r.headers.host, r.headers['content-type']])).toEqual([
      ['POST', '/eth/key-a', 'a.example', 'application/json'],
      ['POST', '/eth/key-a', 'a.example', 'application/json'],
      ['PUT', '/eth/key-b', 'b.example', 'application/jsoN'],
      ['PROPFIND', '/eth/key-b', 'b.exampl\xe9', 'text/plain'],
      ['post', '/eth/key-a', 'a.example', 'application/json'],
    ]);
  });

  it('reads Content-Length as 1 to 15 decimal digits and nothing else', () => {
    const withLength = (value: string) => `POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${value}\r\n\r\n`;
    expect(parse([`${withLength('0003')}abc`])[0]!.body.toString()).toBe('abc');
    for (const value of ['', '-1', '+3', '3a', '0x10', '1e3', '١', '1234567890123456'])
      expect(parseError([withLength(value)]), value).toMatchObject(malformed);
  });

  it('stores a header named like an Object.prototype member as sent', () => {
    const [request] = parse(['GET / HTTP/1.1\r\nHost: a\r\nConstructor: x\r\n\r\n']);
    expect(request!.headers.constructor).toBe('x');
  });
});

describe('RequestParser: malformed requests', () => {
  it.each([
    ['missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n'],
    ['duplicate Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    [
      'Content-Length with Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    [
      'Transfer-Encoding with Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
    ],
    ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    [
      'a non-chunked Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
    ],
    [
      'chunked twice',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['a non-numeric Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n'],
    ['a signed Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx'],
    ['a Content-Length list', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx'],
    ['an empty Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n'],
    [
      'duplicate Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx',
    ],
    [
      'duplicate Content-Type',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n\r\n',
    ],
    [
      'duplicate Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['more than 32 empty lines before a request', `${'\r\n'.repeat(17)}GET / HTTP/1.1\r\nHost: a\r\n\r\n`],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n'],
    ['obs-fold with a colon', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tX-B: 2\r\n\r\n'],
    ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['a tab before the colon', 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n'],
    ['an empty header name', 'GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n'],
    ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n'],
    ['a bare LF in a header value', 'GET / HTTP/1.1\r\nHost: a\nX-Smuggled: 1\r\n\r\n'],
    ['a bare CR in a header value', 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n'],
    ['a NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n'],
    ['a DEL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x7fb\r\n\r\n'],
    ['a bare LF in the request line', 'GET / HTTP/1.1\nHost: a\r\n\r\n'],
    ['a double space in the request line', 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a missing version', 'GET /\r\nHost: a\r\n\r\n'],
    ['a lowercase version', 'GET / http/1.1\r\nHost: a\r\n\r\n'],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n'],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a control byte in the target', 'GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a separator in the method', 'GE(T / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['TLS', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'],
  ])('rejects %s with 400', (_name, input) => {
    expect(parseError([input])).toMatchObject(malformed);
  });

  it('answers requests before a malformed one, then throws', () => {
    const parser = new RequestParser(LIMITS, undefined);
    const out: ParsedRequest[] = [];
    expect(() => parser.push(Buffer.from(`${GET}GARBAGE\r\n\r\n`), 1, out)).toThrow(/request line/);
    expect(out.map(view)).toEqual([parse([GET]).map(view)[0]]);
  });
});

describe('RequestParser: limits', () => {
  const small: ParserLimits = { maxHeaderBytes: 64, maxBodyBytes: 16 };

  it('rejects a Content-Length over maxBodyBytes with 413 before the body arrives', () => {
    expect(parseError(['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n'], small)).toMatchObject(
      tooLarge,
    );
    const [atLimit] = parse(
      [`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n${'x'.repeat(16)}`],
      small,
    );
    expect(atLimit!.body.length).toBe(16);
  });

  it('rejects chunks adding up to more than maxBodyBytes with 413', () => {
    const head = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';
    const input = `${head}8\r\n${'x'.repeat(8)}\r\n9\r\n${'y'.repeat(9)}\r\n0\r\n\r\n`;
    expect(parseError([input], small)).toMatchObject(tooLarge);
    expect(parseError(bytes(input), small)).toMatchObject(tooLarge);
  });

  it('rejects a head over maxHeaderBytes with 431', () => {
    const head = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(64)}\r\n\r\n`;
    expect(parseError([head], small)).toMatchObject(headersTooLarge);
  });

  it('rejects a head that never ends once it passes maxHeaderBytes, in any split', () => {
    const endless = `GET / HTTP/1.1\r\nHost: a\r\n${'X-A: 1\r\n'.repeat(10)}`;
    expect(parseError([endless], small)).toMatchObject(headersTooLarge);
    expect(parseError(bytes(endless), small)).toMatchObject(headersTooLarge);
    const parser = new RequestParser(small, undefined);
    const partial = Buffer.from(endless.slice(0, small.maxHeaderBytes));
    expect(() => parser.push(partial, 1, [])).not.toThrow();
    // Four more bytes cannot be the end of a head that fits: maxHeaderBytes plus its CRLFCRLF.
    expect(() => parser.push(Buffer.from('XXXX'), 2, [])).toThrow(/too large/);
  });

  it('accepts a head of exactly maxHeaderBytes in every split', () => {
    const start = 'GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ';
    const head = `${start}${'p'.repeat(small.maxHeaderBytes - start.length)}\r\n\r\n`;
    expect(head.length).toBe(small.maxHeaderBytes + 4);
    expect(parse([head], small)).toHaveLength(1);
    for (const chunks of splitsInTwo(head)) expect(parse(chunks, small)).toHaveLength(1);
  });
});

describe('RequestParser: fuzzed input', () => {
  /** Deterministic PRNG (mulberry32) so a failure reproduces. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** STREAM with a few bytes flipped, dropped or inserted, cut into random chunks. */
  function mutated(next: () => number): Buffer[] {
    const bytes = [...Buffer.from(STREAM, 'latin1')];
    for (let edits = 1 + Math.floor(next() * 4); edits > 0; edits--) {
      const at = Math.floor(next() * bytes.length);
      const kind = next();
      if (kind < 0.4) bytes[at] = Math.floor(next() * 256);
      else if (kind < 0.7) bytes.splice(at, 1);
      else bytes.splice(at, 0, Math.floor(next() * 256));
    }
    const chunks: Buffer[] = [];
    for (let pos = 0; pos < bytes.length; ) {
      const size = 1 + Math.floor(next() * 40);
      chunks.push(Buffer.from(bytes.slice(pos, pos + size)));
      pos += size;
    }
    return chunks;
  }

  it('never throws anything but a GatewayError and never yields more requests than it was sent', () => {
    const next = random(20261122);
    const outcomes = new Map<string, number>();
    for (let run = 0; run < 3_000; run++) {
      const parser = new RequestParser(LIMITS, undefined);
      const out: ParsedRequest[] = [];
      let outcome = 'ok';
      try {
        for (const chunk of mutated(next)) parser.push(chunk, 1, out);
      } catch (err) {
        expect(err).toMatchObject({ name: 'GatewayError' });
        outcome = (err as { code: string }).code;
      }
      expect(out.length).toBeLessThanOrEqual(3);
      for (const request of out) expect(request.body.length).toBeLessThanOrEqual(LIMITS.maxBodyBytes);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // The mutations reach both paths: some streams still parse, many are refused.
    expect(outcomes.get('ok')).toBeGreaterThan(0);
    expect(outcomes.get('ERR_MALFORMED_HTTP')).toBeGreaterThan(0);
  });
});
