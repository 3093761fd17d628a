/**
 * One block as the feed holds it: the `newHeads` notification and the block's logs, each
 * serialized once when the block is loaded, so delivering to ten thousand subscribers copies
 * references, never JSON. `removed: true` copies of the logs are made once, when the block is
 * orphaned.
 */
import { type LogKey, logKey, type RpcLog } from './log-filter.js';

/** A block named by hash and number (what a subscriber tells to resume). */
export interface BlockPoint {
  readonly hash: string;
  readonly number: number;
}

/** One `eth_subscription` result: the value and its JSON text, shared by every subscriber. */
export interface FeedNotification {
  /** A header or log object (for `newPendingTransactions`, the hash string: only `json` is sent). */
  readonly result: Readonly<Record<string, unknown>>;
  /** `JSON.stringify(result)`, made once. */
  readonly json: string;
  /** The block it belongs to; absent on a pending transaction's hash. */
  readonly block?: BlockPoint;
}

export interface FeedLog {
  readonly log: RpcLog;
  /** What filters match against. */
  readonly key: LogKey;
  readonly added: FeedNotification;
  /** Made when the block is orphaned. */
  removed: FeedNotification | undefined;
}

export interface FeedBlock extends BlockPoint {
  readonly parentHash: string;
  readonly head: FeedNotification;
  readonly logs: readonly FeedLog[];
  /** JSON bytes held (header and logs), for the history's byte bound. */
  readonly bytes: number;
  orphaned: boolean;
}

/** The members of geth's `newHeads` notification (its `types.Header` JSON plus `hash`), in its order. */
const HEADER_FIELDS = [
  'parentHash',
  'sha3Uncles',
  'miner',
  'stateRoot',
  'transactionsRoot',
  'receiptsRoot',
  'logsBloom',
  'difficulty',
  'number',
  'gasLimit',
  'gasUsed',
  'timestamp',
  'extraData',
  'mixHash',
  'nonce',
  'baseFeePerGas',
  'withdrawalsRoot',
  'blobGasUsed',
  'excessBlobGas',
  'parentBeaconBlockRoot',
  'requestsHash',
  'hash',
] as const;

/** The header members of an `eth_getBlockByHash(hash, false)` answer (no transactions, size, uncles). */
export function headerOf(block: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const header: Record<string, unknown> = {};
  for (const field of HEADER_FIELDS) {
    const value = block[field];
    if (value !== undefined) header[field] = value;
  }
  return header;
}

export function notification(result: Readonly<Record<string, unknown>>, block: BlockPoint): FeedNotification {
  return { result, json: JSON.stringify(result), block };
}

/** Builds the held block from a header and the logs of exactly that block. */
export function feedBlock(
  header: Record<string, unknown>,
  point: BlockPoint,
  logs: readonly RpcLog[],
): FeedBlock {
  const head = notification(header, point);
  let bytes = head.json.length;
  const feedLogs: FeedLog[] = [];
  for (const log of logs) {
    const added = notification(log, point);
    bytes += added.json.length;
    feedLogs.push({ log, key: logKey(log), added, removed: undefined });
  }
  return {
    hash: point.hash,
    number: point.number,
    parentHash: String(header.parentHash).toLowerCase(),
    head,
    logs: feedLogs,
    bytes,
    orphaned: false,
  };
}

/** The `removed: true` notification of a log, made once. */
export function removedNotification(entry: FeedLog): FeedNotification {
  entry.removed ??= notification({ ...entry.log, removed: true }, entry.added.block!);
  return entry.removed;
}
