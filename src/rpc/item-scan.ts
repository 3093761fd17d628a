/**
 * One linear pass over the bytes of a request object, before JSON.parse: how deep it nests
 * (stopping as soon as it is too deep: JSON.parse copes with any depth, but slowly, and every
 * recursive walker after it, JSON.stringify first, overflows the stack), how many top-level
 * members it has (JSON.parse keeps only the last of a repeated member, while the bytes forwarded
 * upstream still hold both), and where its `"id"` value is, so the answer can carry the id
 * exactly as sent. The counts are exact for valid JSON; JSON.parse decides validity afterwards.
 */
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, isIdKey, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-bytes.js';
import { scalarEnd, skipSpace, stringEnd } from './json-scan.js';

/**
 * Most levels of objects and arrays a request object may nest (the object itself is level 1).
 * Real calls use under 10 (state overrides, log filters); JSON.stringify and other recursive
 * walkers overflow the stack somewhere past a few thousand.
 */
export const MAX_REQUEST_DEPTH = 128;

/** A class: one hidden class for every scan (hot path). */
export class ItemScan {
  constructor(
    /** Deepest nesting of objects and arrays, the item itself being level 1 (0 for a scalar). */
    readonly depth: number,
    /** Top-level members as written, repeats included. */
    readonly members: number,
    /** Byte range of the first top-level `"id"` member's value; -1 when there is none. */
    readonly idStart: number,
    readonly idEnd: number,
  ) {}
}

/** Scans `json`; a depth over MAX_REQUEST_DEPTH ends the scan at once (the other counts are then partial). */
export function scanItem(json: Buffer): ItemScan {
  const length = json.length;
  let depth = 0;
  let maxDepth = 0;
  let members = 0;
  let idStart = -1;
  let idEnd = -1;
  let object = false;
  for (let i = 0; i < length; i++) {
    const byte = json[i]!;
    if (byte === QUOTE) {
      const close = stringEnd(json, i);
      if (close === -1) break; // a string left open runs to the end
      if (depth === 1 && object) {
        const next = skipSpace(json, close + 1);
        // A string followed by a colon is a key; valid JSON has no other.
        if (json[next] === COLON) {
          members++;
          // The key may be written with escapes ("\u0069d"): JSON.parse reads it as the id.
          if (idStart === -1 && isIdKey(json, i, close)) {
            idStart = skipSpace(json, next + 1);
            idEnd = scalarEnd(json, idStart);
          }
          i = next;
          continue;
        }
      }
      i = close;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (depth === 0) object = byte === OPEN_BRACE;
      if (++depth > maxDepth) {
        maxDepth = depth;
        if (depth > MAX_REQUEST_DEPTH) break;
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return new ItemScan(maxDepth, members, idStart, idEnd);
}

/**
 * The most members any one object in `json` has (not looking past MAX_REQUEST_DEPTH levels), so
 * a REST body can refuse a megabyte of unknown fields before JSON.parse and validation spend
 * hundreds of milliseconds on it.
 */
export function widestObject(json: Buffer): number {
  const counts = new Int32Array(MAX_REQUEST_DEPTH + 1);
  const length = json.length;
  let depth = 0;
  let widest = 0;
  for (let i = 0; i < length; i++) {
    const byte = json[i]!;
    if (byte === QUOTE) {
      const close = stringEnd(json, i);
      if (close === -1) break;
      const next = skipSpace(json, close + 1);
      if (json[next] === COLON) {
        const count = ++counts[depth]!;
        if (count > widest) widest = count;
        i = next;
      } else i = close;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > MAX_REQUEST_DEPTH) break;
      counts[depth] = 0;
    } else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && depth > 0) depth--;
  }
  return widest;
}
