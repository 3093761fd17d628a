/**
 * `eth_getLogs`: a filter by block hash is tied to that block; a range is final when its top
 * is, and otherwise tied to the canonical hash of every height it reads above finality.
 */
import type { CachePolicy } from '../rpc/methods/method-table.js';
import { type BlockRef, canonicalBlockParam, LATEST, parseBlockRef, parseHash } from './block-ref.js';
import { Plan, type PlanContext, planTip } from './policy-plan.js';

/** Most unfinalized heights one cached log query may be tied to (L2s finalize far behind the head). */
export const MAX_RANGE_TAGS = 256;

const LOGS: CachePolicy = { kind: 'logs' };
const LOGS_BY_HASH: CachePolicy = { kind: 'logs', shape: 'items' };

export function planLogs(context: PlanContext, params: unknown): Plan | undefined {
  if (!Array.isArray(params) || params.length !== 1) return undefined;
  const filter = params[0];
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) return undefined;
  const fields = filter as Record<string, unknown>;

  if (fields.blockHash !== undefined) {
    if (fields.fromBlock !== undefined || fields.toBlock !== undefined) return undefined;
    const hash = parseHash(fields.blockHash);
    if (hash === undefined) return undefined;
    return new Plan(keyOf(context, fields, { blockHash: hash }), 'hash', context, LOGS_BY_HASH, -1, hash);
  }

  // Nodes read a missing end as `latest`.
  const from = rangeEnd(fields.fromBlock);
  const to = rangeEnd(fields.toBlock);
  if (from === undefined || to === undefined) return undefined;
  const key = keyOf(context, fields, {
    fromBlock: canonicalBlockParam(from),
    toBlock: canonicalBlockParam(to),
  });
  const fromNumber = heightOf(from);
  const toNumber = heightOf(to);
  if (fromNumber === undefined || toNumber === undefined) return planTip(context, key, LOGS);
  if (fromNumber > toNumber) return undefined;

  const { chain } = context;
  if (toNumber <= chain.finalized) return new Plan(key, 'final', context, LOGS, toNumber);
  if (toNumber > chain.head) return undefined;
  const lowest = Math.max(fromNumber, chain.finalized + 1);
  if (toNumber - lowest + 1 > MAX_RANGE_TAGS) return undefined;
  const tags: string[] = [];
  for (let height = lowest; height <= toNumber; height++) {
    const hash = chain.hashAt(height);
    if (hash === undefined) return undefined;
    tags.push(hash);
  }
  const top = tags[tags.length - 1]!;
  return new Plan(`${key}@${top}`, 'range', context, LOGS, toNumber, top, tags);
}

/** A number or a tag: range ends are plain strings to nodes (no EIP-1898 objects, no hashes). */
function rangeEnd(value: unknown): BlockRef | undefined {
  if (value === undefined) return LATEST;
  if (typeof value !== 'string') return undefined;
  const ref = parseBlockRef(value);
  return ref === undefined || ref.kind === 'hash' ? undefined : ref;
}

/** The height a range end names; undefined for tags that move with the head. */
function heightOf(ref: BlockRef): number | undefined {
  if (ref.kind === 'number') return ref.number;
  return ref.kind === 'tag' && ref.tag === 'earliest' ? 0 : undefined;
}

/** The filter with its members sorted, the address lowercased and the block members canonical. */
function keyOf(
  context: PlanContext,
  fields: Record<string, unknown>,
  blocks: Record<string, unknown>,
): string {
  const canonical: Record<string, unknown> = {};
  const names = Object.keys({ ...fields, ...blocks }).sort();
  for (const name of names) {
    if (name in blocks) canonical[name] = blocks[name];
    else if (name === 'address') canonical[name] = lowerAddress(fields.address);
    else canonical[name] = fields[name];
  }
  return `${context.prefix}${JSON.stringify([canonical])}`;
}

function lowerAddress(address: unknown): unknown {
  if (typeof address === 'string') return address.toLowerCase();
  if (Array.isArray(address))
    return address.map((item) => (typeof item === 'string' ? item.toLowerCase() : item));
  return address;
}
