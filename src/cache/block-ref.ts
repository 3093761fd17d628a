/**
 * Reads a JSON-RPC block parameter — hex quantity, tag, bare block hash, or an EIP-1898 object —
 * into the shape the cache policy reasons about. Anything else is not cacheable (undefined):
 * the node may read it differently than we would.
 */

export type BlockTag = 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest';

export type BlockRef =
  | { readonly kind: 'number'; readonly number: number }
  | { readonly kind: 'tag'; readonly tag: BlockTag }
  | { readonly kind: 'hash'; readonly hash: string; readonly requireCanonical: boolean };

const TAGS: ReadonlySet<string> = new Set<BlockTag>(['latest', 'pending', 'safe', 'finalized', 'earliest']);
const QUANTITY = /^0[xX][0-9a-fA-F]+$/;
const HASH = /^0[xX][0-9a-fA-F]{64}$/;

export const LATEST: BlockRef = { kind: 'tag', tag: 'latest' };

/** A hex quantity (`0x1b4`, `0x01B4`) as a safe integer; leading zeros and case do not matter. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value !== 'string' || !QUANTITY.test(value)) return undefined;
  const parsed = Number.parseInt(value.slice(2), 16);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

/** A 32-byte hash (block or transaction), lowercased; undefined for anything else. */
export function parseHash(value: unknown): string | undefined {
  if (typeof value !== 'string' || !HASH.test(value)) return undefined;
  return `0x${value.slice(2).toLowerCase()}`;
}

export function parseBlockRef(value: unknown): BlockRef | undefined {
  if (typeof value === 'string') {
    if (TAGS.has(value)) return { kind: 'tag', tag: value as BlockTag };
    // Nodes read a 66-character string as a block hash (never as a number that large).
    if (value.length === 66) {
      const hash = parseHash(value);
      return hash === undefined ? undefined : { kind: 'hash', hash, requireCanonical: false };
    }
    const number = parseQuantity(value);
    return number === undefined ? undefined : { kind: 'number', number };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return parseEip1898(value as Record<string, unknown>);
}

/** `{ blockNumber }` or `{ blockHash, requireCanonical? }`; unknown members make it uncacheable. */
function parseEip1898(object: Record<string, unknown>): BlockRef | undefined {
  const members = Object.keys(object).length;
  if ('blockHash' in object) {
    const requireCanonical = object.requireCanonical;
    const allowed = requireCanonical === undefined ? 1 : 2;
    if (members !== allowed || (requireCanonical !== undefined && typeof requireCanonical !== 'boolean')) {
      return undefined;
    }
    const hash = parseHash(object.blockHash);
    return hash === undefined
      ? undefined
      : { kind: 'hash', hash, requireCanonical: requireCanonical === true };
  }
  if (members !== 1 || !('blockNumber' in object)) return undefined;
  const inner = object.blockNumber;
  if (typeof inner === 'string' && TAGS.has(inner)) return { kind: 'tag', tag: inner as BlockTag };
  const number = parseQuantity(inner);
  return number === undefined ? undefined : { kind: 'number', number };
}

/**
 * The canonical JSON value of a block reference for cache keys: `0x1B4`, `0x01b4` and
 * `{ "blockNumber": "0x1b4" }` all become `"0x1b4"`; a hash without `requireCanonical` becomes
 * the bare lowercase hash (nodes answer both the same).
 */
export function canonicalBlockParam(ref: BlockRef): unknown {
  switch (ref.kind) {
    case 'number':
      return `0x${ref.number.toString(16)}`;
    case 'tag':
      return ref.tag;
    case 'hash':
      return ref.requireCanonical ? { blockHash: ref.hash, requireCanonical: true } : ref.hash;
  }
}
