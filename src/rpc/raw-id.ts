/**
 * Keeps numeric ids that JavaScript numbers cannot hold exactly (2^64, 1.5e400, fractions) as
 * their source text. Such requests go upstream with a synthetic id (many nodes reject big ids)
 * and the client's exact id text is spliced back into the response entry.
 */
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  isIdKey,
  isSpace,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
} from './json-bytes.js';

/** True when a parsed numeric id would not survive JSON.stringify with the client's digits. */
export function isLossyId(id: unknown): id is number {
  return typeof id === 'number' && !Number.isSafeInteger(id);
}

/** Byte range of the value of the top-level `"id"` member of a JSON object, if it is a scalar. */
export function idValueRange(json: Buffer): { start: number; end: number } | undefined {
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i]!;
    if (byte === QUOTE) {
      const close = stringEnd(json, i);
      if (close === -1) return undefined;
      let next = close + 1;
      while (isSpace(json[next])) next++;
      if (depth === 1 && json[next] === COLON && isIdKey(json, i, close)) {
        let start = next + 1;
        while (isSpace(json[start])) start++;
        return scalarRange(json, start);
      }
      i = close;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return undefined;
}

/** The source text of a request's id, or undefined when it cannot be found. */
export function rawIdText(raw: Buffer): string | undefined {
  const range = idValueRange(raw);
  return range === undefined ? undefined : raw.toString('utf8', range.start, range.end);
}

/** Replaces the top-level id of a response entry with `rawId` (unchanged if none is found). */
export function spliceRawId(body: Buffer | string, rawId: string): Buffer | string {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const range = idValueRange(bytes);
  if (range === undefined) return body;
  return Buffer.concat([bytes.subarray(0, range.start), Buffer.from(rawId), bytes.subarray(range.end)]);
}

function stringEnd(json: Buffer, open: number): number {
  for (let i = open + 1; i < json.length; i++) {
    const byte = json[i]!;
    if (byte === BACKSLASH) i++;
    else if (byte === QUOTE) return i;
  }
  return -1;
}

function scalarRange(json: Buffer, start: number): { start: number; end: number } | undefined {
  const first = json[start];
  if (first === undefined || first === OPEN_BRACE || first === OPEN_BRACKET) return undefined;
  if (first === QUOTE) {
    const close = stringEnd(json, start);
    return close === -1 ? undefined : { start, end: close + 1 };
  }
  let end = start;
  while (end < json.length) {
    const byte = json[end]!;
    if (byte === COMMA || byte === CLOSE_BRACE || isSpace(byte)) break;
    end++;
  }
  return end === start ? undefined : { start, end };
}
