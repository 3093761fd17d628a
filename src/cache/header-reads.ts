/**
 * The chain tracker's block reads: one header by tag or number (checked to be the height asked
 * for, hashes lowercased), or a run of heights at once.
 */

import { ChainTrackerError } from './chain-tracker-error.js';
import type { BlockRef } from './chain-tracker-options.js';
import type { BlockHeader } from './chain-view.js';

export type FetchBlock = (ref: BlockRef) => Promise<BlockHeader | undefined>;

export async function readHeader(
  fetchBlock: FetchBlock,
  network: string,
  ref: BlockRef,
): Promise<BlockHeader | undefined> {
  const block = await fetchBlock(ref);
  if (block === undefined) return undefined;
  if (typeof ref === 'number' && block.number !== ref)
    throw new ChainTrackerError('inconsistent', network, `asked for block ${ref}, got ${block.number}`);
  // Cache tags are lowercase; nodes answer lowercase already, but one that does not must not split them.
  return {
    number: block.number,
    hash: block.hash.toLowerCase(),
    parentHash: block.parentHash.toLowerCase(),
  };
}

/** Reads heights `from`..`to` in parallel into `into` (undefined for a height the node lacks). */
export async function readHeaderRange(
  fetchBlock: FetchBlock,
  network: string,
  into: Map<number, BlockHeader | undefined>,
  from: number,
  to: number,
): Promise<void> {
  const heights = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const blocks = await Promise.all(heights.map((height) => readHeader(fetchBlock, network, height)));
  for (const [i, height] of heights.entries()) into.set(height, blocks[i]);
}
