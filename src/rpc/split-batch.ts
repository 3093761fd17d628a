/**
 * Splits a top-level JSON array into the raw byte ranges of its items without parsing values,
 * so each batch item can be forwarded byte-for-byte (ids such as 2^64 survive untouched).
 * Returns null when the text is not a well-formed array at the top level; JSON.parse decides
 * the details afterwards.
 */
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COMMA,
  isSpace,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
} from './json-bytes.js';

export function splitTopLevelArray(body: Buffer, start: number): Buffer[] | null {
  const items: Buffer[] = [];
  let depth = 0;
  let inString = false;
  let itemStart = -1;
  let end = body.length;
  while (end > start && isSpace(body[end - 1]!)) end--;
  if (body[start] !== OPEN_BRACKET || body[end - 1] !== CLOSE_BRACKET) return null;
  for (let i = start + 1; i < end - 1; i++) {
    const byte = body[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (itemStart === -1 && !isSpace(byte)) itemStart = i;
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
    else if (byte === COMMA && depth === 0) {
      if (itemStart === -1 || itemStart === i) return null;
      items.push(trimEnd(body, itemStart, i));
      itemStart = -1;
    }
  }
  if (itemStart !== -1) items.push(trimEnd(body, itemStart, end - 1));
  return items;
}

function trimEnd(body: Buffer, from: number, to: number): Buffer {
  while (to > from && isSpace(body[to - 1]!)) to--;
  return body.subarray(from, to);
}
