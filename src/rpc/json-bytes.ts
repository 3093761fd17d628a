/** Byte values and helpers shared by the scanners that read JSON without parsing it. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COLON = 0x3a;
export const COMMA = 0x2c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;

/** JSON whitespace (undefined, past the end, is not). */
export function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

const I = 0x69;
const D = 0x64;

/**
 * Whether the JSON string from the quote at `open` to the one at `close` reads as `id`. Plain
 * `"id"` costs two compares; JSON.parse also reads `\u0069` as `i` and `\u0064` as `d` (no
 * other escape spells them), so `"\u0069d"`, `"i\u0064"` and `"\u0069\u0064"` are the id too.
 */
export function isIdKey(json: Buffer, open: number, close: number): boolean {
  const length = close - open - 1;
  if (length === 2) return json[open + 1] === I && json[open + 2] === D;
  return (length === 7 || length === 12) && escapedIdKey(json, open + 1, close);
}

function escapedIdKey(json: Buffer, start: number, end: number): boolean {
  let i = start;
  if (json[i] === I) i++;
  else if (isLetterEscape(json, i, 0x39)) i += 6;
  else return false;
  if (json[i] === D) i++;
  else if (isLetterEscape(json, i, 0x34)) i += 6;
  else return false;
  return i === end;
}

/** `\u006` and then `last` at `i`: `\u0069` (last '9') or `\u0064` (last '4'). */
function isLetterEscape(json: Buffer, i: number, last: number): boolean {
  return (
    json[i] === BACKSLASH &&
    json[i + 1] === 0x75 &&
    json[i + 2] === 0x30 &&
    json[i + 3] === 0x30 &&
    json[i + 4] === 0x36 &&
    json[i + 5] === last
  );
}
