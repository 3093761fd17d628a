/** What the policy reads from a result: emptiness and the block it names. Cheap by design. */
import type { ResultShape } from '../rpc/methods/method-table.js';
import { parseHash, parseQuantity } from './block-ref.js';
import type { ChainView } from './chain-view.js';

export interface ResultBlock {
  readonly number: number;
  readonly hash: string;
}

/** How far below the head a block hash is looked for in the chain view. */
export const HASH_SCAN_DEPTH = 128;

/** `null`, `[]` and `"0x"`: often "not (yet) there", so not stored unless `cacheEmpty`. */
export function isEmptyResult(result: unknown): boolean {
  return (
    result === null ||
    result === undefined ||
    result === '0x' ||
    (Array.isArray(result) && result.length === 0)
  );
}

/**
 * The block a result names: a block's own `number`/`hash`, or an item's `blockNumber`/`blockHash`
 * (the first item of a list). `null` when the result is null or pending; undefined when it names
 * no block we can read.
 */
export function blockOf(result: unknown, shape: ResultShape): ResultBlock | null | undefined {
  let item = result;
  if (shape === 'items') {
    if (!Array.isArray(result) || result.length === 0) return undefined;
    item = result[0];
  }
  if (item === null) return null;
  if (typeof item !== 'object' || Array.isArray(item)) return undefined;
  const fields = item as { number?: unknown; hash?: unknown; blockNumber?: unknown; blockHash?: unknown };
  const rawNumber = shape === 'block' ? fields.number : fields.blockNumber;
  const rawHash = shape === 'block' ? fields.hash : fields.blockHash;
  if (rawNumber === null || rawHash === null) return null;
  const number = parseQuantity(rawNumber);
  const hash = parseHash(rawHash);
  return number === undefined || hash === undefined ? undefined : { number, hash };
}

/** Height of a canonical block hash among the recent blocks the chain view holds. */
export function heightOfHash(chain: ChainView, hash: string): number | undefined {
  const lowest = Math.max(0, chain.head - HASH_SCAN_DEPTH + 1);
  for (let n = chain.head; n >= lowest; n--) {
    if (chain.hashAt(n) === hash) return n;
  }
  return undefined;
}

/** Whether unparsed result bytes name `hash` as their block (nodes write compact lowercase JSON). */
export function mentionsHash(bytes: Buffer | undefined, shape: ResultShape, hash: string): boolean {
  if (bytes === undefined) return false;
  return bytes.includes(shape === 'block' ? `"hash":"${hash}"` : `"blockHash":"${hash}"`);
}
