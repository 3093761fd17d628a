/**
 * The exact bytes of an upstream response's `result`, found by a one-pass scanner rather than
 * JSON.parse (results reach megabytes; parsing and re-serialising them would dominate a hit),
 * and the response a cache hit sends, built with one allocation.
 *
 * The scanner checks structure (strings end, brackets match, top-level members are well formed),
 * not every token inside the result: the upstream's answer was already judged by
 * classify-response, this only has to find the value's bounds safely.
 */
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  isSpace,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
} from '../rpc/json-bytes.js';

const RESULT_KEY = Buffer.from('"result"');
const ERROR_KEY = Buffer.from('"error"');
const HEAD = Buffer.from('{"jsonrpc":"2.0","id":');
const MIDDLE = Buffer.from(',"result":');
const TAIL = 0x7d; // }
const NULL_START = 0x6e; // n

/**
 * The bytes of the top-level `result` value (a view into `body`, not a copy); undefined when the
 * response carries an `error`, has no `result`, or is not a well-formed JSON object.
 */
export function extractResultBytes(body: Buffer | string): Buffer | undefined {
  const json = typeof body === 'string' ? Buffer.from(body) : body;
  let i = skipSpace(json, 0);
  if (json[i] !== OPEN_BRACE) return undefined;
  i = skipSpace(json, i + 1);
  let start = -1;
  let end = -1;
  let hasError = false;
  if (json[i] === CLOSE_BRACE) return undefined;
  for (;;) {
    if (json[i] !== QUOTE) return undefined;
    const keyEnd = stringEnd(json, i);
    if (keyEnd === -1) return undefined;
    const colon = skipSpace(json, keyEnd + 1);
    if (json[colon] !== COLON) return undefined;
    const valueStart = skipSpace(json, colon + 1);
    const valueEnd = valueEndAt(json, valueStart);
    if (valueEnd === -1) return undefined;
    const length = keyEnd + 1 - i;
    if (length === RESULT_KEY.length && json.compare(RESULT_KEY, 0, length, i, keyEnd + 1) === 0) {
      // Like JSON.parse, the last of duplicate members wins.
      start = valueStart;
      end = valueEnd;
    } else if (length === ERROR_KEY.length && json.compare(ERROR_KEY, 0, length, i, keyEnd + 1) === 0) {
      // `"error": null` next to a result is no error (classify-response reads it the same way).
      hasError ||= json[valueStart] !== NULL_START;
    }
    i = skipSpace(json, valueEnd);
    if (json[i] === COMMA) {
      i = skipSpace(json, i + 1);
      continue;
    }
    if (json[i] !== CLOSE_BRACE) return undefined;
    break;
  }
  if (skipSpace(json, i + 1) !== json.length) return undefined;
  return hasError || start === -1 ? undefined : json.subarray(start, end);
}

/** `{"jsonrpc":"2.0","id":<idText>,"result":<result>}` in one allocation; `idText` is JSON text. */
export function buildResponse(idText: string, result: Buffer): Buffer {
  const idLength = Buffer.byteLength(idText);
  const out = Buffer.allocUnsafe(HEAD.length + idLength + MIDDLE.length + result.length + 1);
  let offset = HEAD.copy(out, 0);
  offset += out.write(idText, offset, 'utf8');
  offset += MIDDLE.copy(out, offset);
  offset += result.copy(out, offset);
  out[offset] = TAIL;
  return out;
}

/**
 * The same response, written straight into the buffer that carries the HTTP head (a
 * `BodyWriter`, http/exchange.ts): one copy of the stored result per hit. The id is
 * bytes `idStart`–`idEnd` of `source` (the request), exactly as the client sent them.
 */
export class ResultResponse {
  readonly byteLength: number;

  constructor(
    private readonly source: Buffer,
    private readonly idStart: number,
    private readonly idEnd: number,
    private readonly result: Buffer,
  ) {
    this.byteLength = HEAD.length + (idEnd - idStart) + MIDDLE.length + result.length + 1;
  }

  writeInto(target: Buffer, offset: number): void {
    target.set(HEAD, offset);
    let at = offset + HEAD.length;
    const { source, idEnd } = this;
    for (let i = this.idStart; i < idEnd; i++) target[at++] = source[i]!;
    target.set(MIDDLE, at);
    at += MIDDLE.length;
    target.set(this.result, at);
    target[at + this.result.length] = TAIL;
  }
}

function skipSpace(json: Buffer, i: number): number {
  while (isSpace(json[i])) i++;
  return i;
}

/** Index of the quote closing the string opened at `open`, or -1. Uses indexOf: strings dominate results. */
function stringEnd(json: Buffer, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = json.indexOf(QUOTE, from);
    if (quote === -1) return -1;
    let backslashes = 0;
    for (let j = quote - 1; j > open && json[j] === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** Index just past the value starting at `i`, or -1 when it is malformed or truncated. */
function valueEndAt(json: Buffer, i: number): number {
  const first = json[i];
  if (first === undefined) return -1;
  if (first === QUOTE) {
    const close = stringEnd(json, i);
    return close === -1 ? -1 : close + 1;
  }
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return containerEnd(json, i);
  return scalarEnd(json, i);
}

/** Skips a nested object or array, checking that every bracket closes the one it should. */
function containerEnd(json: Buffer, open: number): number {
  const closers: number[] = [];
  for (let i = open; i < json.length; i++) {
    const byte = json[i]!;
    if (byte === QUOTE) {
      i = stringEnd(json, i);
      if (i === -1) return -1;
    } else if (byte === OPEN_BRACE) closers.push(CLOSE_BRACE);
    else if (byte === OPEN_BRACKET) closers.push(CLOSE_BRACKET);
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (closers.pop() !== byte) return -1;
      if (closers.length === 0) return i + 1;
    }
  }
  return -1;
}

const LITERALS = [Buffer.from('true'), Buffer.from('false'), Buffer.from('null')];

/** `true`, `false`, `null`, or a number's characters. */
function scalarEnd(json: Buffer, start: number): number {
  for (const literal of LITERALS) {
    if (json[start] !== literal[0]) continue;
    const end = start + literal.length;
    return end <= json.length && json.compare(literal, 0, literal.length, start, end) === 0 ? end : -1;
  }
  let i = start;
  while (i < json.length && isNumberByte(json[i]!)) i++;
  return i === start ? -1 : i;
}

function isNumberByte(byte: number): boolean {
  // 0-9 . + - e E
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2e ||
    byte === 0x2b ||
    byte === 0x2d ||
    byte === 0x65 ||
    byte === 0x45
  );
}
