/**
 * Random base62 text for row ids (`prj_…`, `pln_…`, `key_…`) and API key secrets. Ids are
 * random rather than sequential so they reveal nothing about how many rows exist and can be
 * made by any process without asking the database.
 */
import { randomBytes } from 'node:crypto';

/** In ASCII order, so base62 numbers of one width sort as text. */
export const BASE62_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62 = BASE62_DIGITS;
/** 248 = 4 × 62: bytes below it map onto the alphabet evenly; the rest are drawn again. */
const UNBIASED_LIMIT = 248;

export const BASE62_PATTERN = '[0-9A-Za-z]';

/** `length` characters drawn uniformly from [0-9A-Za-z] by crypto.randomBytes. */
export function randomBase62(length: number): string {
  let text = '';
  while (text.length < length) {
    // A few spare bytes so one draw almost always suffices (about 3% are rejected).
    for (const byte of randomBytes(length - text.length + 8)) {
      if (byte >= UNBIASED_LIMIT) continue;
      text += BASE62[byte % 62];
      if (text.length === length) break;
    }
  }
  return text;
}

export type IdKind = 'prj' | 'pln' | 'key';

const ID_RANDOM_LENGTH = 16;

/** A new row id such as `prj_4kQ9…` (16 base62 characters: 95 bits). */
export function newId(kind: IdKind): string {
  return `${kind}_${randomBase62(ID_RANDOM_LENGTH)}`;
}
