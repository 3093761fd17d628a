/**
 * The exact bytes of an upstream response's `result`, found by a one-pass scanner rather than
 * JSON.parse (results reach megabytes; parsing and re-serialising them would dominate a hit),
 * and the response a cache hit sends, built with one allocation.
 *
 * The scan (rpc/json-scan.ts) checks structure (strings end, brackets match, top-level members
 * are well formed, literals are spelled right), not every token inside the result: the
 * upstream's answer was already judged by classify-response, this only has to find the value's
 * bounds safely. Keys are compared as written: `"r\u0065sult"` is not the result here.
 */
import { keyIs, ObjectWalk, skipSpace, valueEnd } from '../rpc/json-scan.js';

const RESULT_KEY = Buffer.from('"result"');
const ERROR_KEY = Buffer.from('"error"');
const HEAD = Buffer.from('{"jsonrpc":"2.0","id":');
const MIDDLE = Buffer.from(',"result":');
const TAIL = 0x7d; // }
const NULL_START = 0x6e; // n
/** Reused by every call (hot path: no allocation per scan). */
const walk = new ObjectWalk();

/**
 * The bytes of the top-level `result` value (a view into `body`, not a copy); undefined when the
 * response carries an `error`, has no `result`, or is not a well-formed JSON object.
 */
export function extractResultBytes(body: Buffer | string): Buffer | undefined {
  const json = typeof body === 'string' ? Buffer.from(body) : body;
  if (!walk.open(json, 0)) return undefined;
  let start = -1;
  let end = -1;
  let hasError = false;
  while (walk.nextKey(false)) {
    const valueStart = walk.valueStart;
    // Checked (a large answer only had its brackets balanced); long strings: hex dominates results.
    const valueStop = valueEnd(json, valueStart, true);
    if (valueStop === -1) return undefined;
    walk.valueEnded(valueStop);
    if (keyIs(json, walk.keyOpen, walk.keyClose, RESULT_KEY)) {
      // Like JSON.parse, the last of duplicate members wins.
      start = valueStart;
      end = valueStop;
    } else if (keyIs(json, walk.keyOpen, walk.keyClose, ERROR_KEY)) {
      // `"error": null` next to a result is no error (classify-response reads it the same way).
      hasError ||= json[valueStart] !== NULL_START;
    }
  }
  if (walk.end === -1 || skipSpace(json, walk.end) !== json.length) return undefined;
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
