/**
 * Splits a top-level JSON array into the raw byte ranges of its items without parsing values,
 * so each batch item can be forwarded byte-for-byte (ids such as 2^64 survive untouched).
 * Returns null when the text is not a well-formed array at the top level; JSON.parse decides
 * the details afterwards, so the items are only counted out (`elementEnd`), never checked:
 * an item nested too deep must still reach scanItem's depth check.
 */
import { CLOSE_BRACKET, isSpace, OPEN_BRACKET } from './json-bytes.js';
import { elementEnd, skipSpace } from './json-scan.js';

export function splitTopLevelArray(body: Buffer, start: number): Buffer[] | null {
  let end = body.length;
  while (end > start && isSpace(body[end - 1]!)) end--;
  if (body[start] !== OPEN_BRACKET || body[end - 1] !== CLOSE_BRACKET) return null;
  const close = end - 1;
  const items: Buffer[] = [];
  let i = start + 1;
  for (;;) {
    const comma = elementEnd(body, i, close);
    const from = skipSpace(body, i);
    if (comma === close) {
      if (from < close) items.push(trimEnd(body, from, close));
      return items;
    }
    if (from === comma) return null;
    items.push(trimEnd(body, from, comma));
    i = comma + 1;
  }
}

function trimEnd(body: Buffer, from: number, to: number): Buffer {
  while (to > from && isSpace(body[to - 1]!)) to--;
  return body.subarray(from, to);
}
