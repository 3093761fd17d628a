/**
 * The shape of a single JSON-RPC request body: its bytes with the id's value cut out. Repeats of
 * one request with any id have one shape, so the cache can map a shape it has seen to its cache
 * key and answer a repeat without JSON.parse or planning (rpc-fast-hit.ts).
 *
 * Safe by construction: a shape is found only when the body is one JSON object whose top-level
 * keys are written without escapes, hold no `jsonrpc`, `method` or `params` twice and exactly
 * one `"id"`, whose value is a string of printable ASCII without escapes, a canonical integer or
 * `null` — ids whose text the slow path sends back unchanged. The key marks the cut with a NUL
 * byte, which valid JSON never contains, so two bodies share a key only when they are equal
 * outside their id. Anything else has no shape and takes the slow path, and so may a body with
 * other keys (memberBit): a shape is promised only to the usual request of `jsonrpc`, `id`,
 * `method` and `params` (at most MAX_SHAPE_BYTES, such an id).
 */
import { BACKSLASH, QUOTE } from './json-bytes.js';
import { ObjectWalk, skipSpace, valueEnd } from './json-scan.js';

/** Larger bodies take the slow path (and keep the shape map small). */
export const MAX_SHAPE_BYTES = 2048;
/** Longer integer ids parse to Infinity: rare, they take the slow path (which keeps their text). */
const MAX_ID_DIGITS = 300;
const I = 0x69;
const D = 0x64;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** A class: one hidden class for every shape (hot path). */
export class RequestShape {
  constructor(
    /** Latin-1 text of the body with the id's value replaced by a NUL character. */
    readonly key: string,
    /** The body; its bytes `idStart`–`idEnd` are the id's JSON text exactly as sent. */
    readonly body: Buffer,
    readonly idStart: number,
    readonly idEnd: number,
  ) {}

  /** The id's JSON text, as the answer must carry it. */
  get idText(): string {
    return this.body.toString('latin1', this.idStart, this.idEnd);
  }
}

/** Where a key is assembled: one flat string per request instead of two slices and a concatenation. */
const scratch = Buffer.allocUnsafeSlow(MAX_SHAPE_BYTES + 1);

/** Reused by every call (hot path: no allocation per scan). */
const walk = new ObjectWalk();

/** The body's shape, or undefined when it must take the slow path. */
export function requestShape(body: Buffer): RequestShape | undefined {
  const length = body.length;
  if (length > MAX_SHAPE_BYTES || !walk.open(body, 0)) return undefined;
  let idStart = -1;
  let idEnd = -1;
  let seen = 0;
  // Keys without escapes; values checked (valueEnd): no JSON.parse confirms a shape's body.
  while (walk.nextKey(true)) {
    const keyStart = walk.keyOpen;
    const keyEnd = walk.keyClose;
    // A repeated member is refused by the slow path (parse.ts); never give it a shape.
    const bit = memberBit(body, keyStart, keyEnd);
    if ((seen & bit) !== 0) return undefined;
    seen |= bit;
    const valueStart = walk.valueStart;
    let end: number;
    if (keyEnd - keyStart === 3 && body[keyStart + 1] === I && body[keyStart + 2] === D) {
      if (idStart !== -1) return undefined; // a repeated id: JSON.parse would keep the last
      end = idTokenEnd(body, valueStart);
      if (end === -1) return undefined;
      idStart = valueStart;
      idEnd = end;
    } else {
      end = valueEnd(body, valueStart);
      if (end === -1) return undefined;
    }
    walk.valueEnded(end);
  }
  if (walk.end === -1 || idStart === -1 || skipSpace(body, walk.end) !== length) return undefined;
  body.copy(scratch, 0, 0, idStart);
  scratch[idStart] = 0;
  const keyLength = idStart + 1 + body.copy(scratch, idStart + 1, idEnd, length);
  return new RequestShape(scratch.toString('latin1', 0, keyLength), body, idStart, idEnd);
}

/**
 * A bit for keys that may be `jsonrpc`, `method` or `params` (by length and first letter, so
 * another key may share a bit: its body then merely takes the slow path), else 0.
 */
function memberBit(json: Buffer, open: number, close: number): number {
  const length = close - open - 1;
  const first = json[open + 1];
  if (length === 7 && first === 0x6a) return 1;
  if (length === 6) return first === 0x6d ? 2 : first === 0x70 ? 4 : 0;
  return 0;
}

/**
 * End of an id the slow path would echo byte for byte: `null`, a string of printable ASCII
 * without escapes, or an integer without leading zeros (not `-0`). -1 for anything else.
 */
function idTokenEnd(json: Buffer, start: number): number {
  const first = json[start];
  if (first === QUOTE) {
    for (let i = start + 1; i < json.length; i++) {
      const byte = json[i]!;
      if (byte === QUOTE) return i + 1;
      if (byte === BACKSLASH || byte < 0x20 || byte > 0x7e) return -1;
    }
    return -1;
  }
  if (first === 0x6e)
    return json[start + 1] === 0x75 && json[start + 2] === 0x6c && json[start + 3] === 0x6c ? start + 4 : -1;
  let i = first === MINUS ? start + 1 : start;
  const digitsStart = i;
  while (i < json.length && json[i]! >= ZERO && json[i]! <= NINE) i++;
  const digits = i - digitsStart;
  if (digits === 0 || digits > MAX_ID_DIGITS) return -1;
  if (json[digitsStart] === ZERO && (digits > 1 || first === MINUS)) return -1;
  // A fraction or exponent follows: not canonical.
  const next = json[i];
  if (next === 0x2e || next === 0x65 || next === 0x45) return -1;
  return i;
}
