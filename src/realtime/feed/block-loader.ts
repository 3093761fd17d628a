/**
 * Reads what the feed needs about a block through the network pipeline (so selection, retries,
 * failover and health apply): the header by hash or by number, and the block's logs by block
 * hash — one `eth_getLogs` per block, whatever the number of subscribers. An empty answer for
 * a block whose logs bloom is set (a node that has not indexed it yet) counts as a failure. A
 * read that fails is retried with backoff until it succeeds, the block stops being canonical,
 * or the feed stops: a block is never skipped.
 */
import type { RpcLog } from './log-filter.js';

/** One JSON-RPC call through the network's pipeline (`Network.call`). */
export type FeedRpc = (method: string, params: readonly unknown[]) => Promise<unknown>;

/** A full block header as the node answered it, with its parsed identity. */
export interface LoadedHeader {
  readonly number: number;
  readonly hash: string;
  readonly parentHash: string;
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface BlockLoaderOptions {
  rpc: FeedRpc;
  /** First delay after a failed read; doubles up to `maxRetryMs`. @default 100 */
  retryMs?: number;
  /** @default 2000 */
  maxRetryMs?: number;
  /** Told about every failed read (logs, metrics). */
  onRetry?: (what: string, err: unknown) => void;
}

/** Thrown when a read was abandoned: the block left the canonical chain or the feed stopped. */
export class LoadAbandoned extends Error {
  override readonly name = 'LoadAbandoned';
}

export function parseHeader(value: unknown): LoadedHeader | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const raw = value as Record<string, unknown>;
  const { number, hash, parentHash } = raw;
  if (typeof number !== 'string' || typeof hash !== 'string' || typeof parentHash !== 'string')
    return undefined;
  const parsed = Number.parseInt(number, 16);
  if (!Number.isSafeInteger(parsed)) return undefined;
  return { number: parsed, hash: hash.toLowerCase(), parentHash: parentHash.toLowerCase(), raw };
}

function isLog(value: unknown): value is RpcLog {
  if (value === null || typeof value !== 'object') return false;
  const { address, topics } = value as { address?: unknown; topics?: unknown };
  return typeof address === 'string' && Array.isArray(topics) && topics.every((t) => typeof t === 'string');
}

export class BlockLoader {
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(private readonly options: BlockLoaderOptions) {
    this.retryMs = options.retryMs ?? 100;
    this.maxRetryMs = options.maxRetryMs ?? 2000;
  }

  /** One read of a header by number; undefined when the node does not have it (or fails). */
  async tryByNumber(number: number): Promise<LoadedHeader | undefined> {
    try {
      return parseHeader(await this.options.rpc('eth_getBlockByNumber', [`0x${number.toString(16)}`, false]));
    } catch (err) {
      this.options.onRetry?.(`eth_getBlockByNumber ${number}`, err);
      return undefined;
    }
  }

  /** The header with this hash, retried until read; `keep()` false abandons (LoadAbandoned). */
  async byHash(hash: string, keep: () => boolean): Promise<LoadedHeader> {
    for (let delay = this.retryMs; ; delay = Math.min(delay * 2, this.maxRetryMs)) {
      try {
        const header = parseHeader(await this.options.rpc('eth_getBlockByHash', [hash, false]));
        if (header?.hash === hash) return header;
        this.options.onRetry?.(`eth_getBlockByHash ${hash}`, new Error('the node does not have the block'));
      } catch (err) {
        this.options.onRetry?.(`eth_getBlockByHash ${hash}`, err);
      }
      await this.pause(delay, keep);
    }
  }

  /** The logs of exactly this block, retried until read; `keep()` false abandons (LoadAbandoned). */
  async logs(header: LoadedHeader, keep: () => boolean): Promise<RpcLog[]> {
    for (let delay = this.retryMs; ; delay = Math.min(delay * 2, this.maxRetryMs)) {
      try {
        const logs = await this.options.rpc('eth_getLogs', [{ blockHash: header.hash }]);
        if (Array.isArray(logs) && logs.every(isLog) && logs.every((log) => belongs(log, header))) {
          if (logs.length > 0 || !hasBloom(header)) return logs;
          // No logs, but the header's bloom says there are: a node that has not indexed the block.
          this.options.onRetry?.(
            `eth_getLogs ${header.hash}`,
            new Error('no logs, but the logs bloom is set'),
          );
        } else
          this.options.onRetry?.(
            `eth_getLogs ${header.hash}`,
            new Error('the answer is not the logs of this block'),
          );
      } catch (err) {
        this.options.onRetry?.(`eth_getLogs ${header.hash}`, err);
      }
      await this.pause(delay, keep);
    }
  }

  private async pause(delay: number, keep: () => boolean): Promise<void> {
    if (!keep()) throw new LoadAbandoned('the block is no longer wanted');
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (!keep()) throw new LoadAbandoned('the block is no longer wanted');
  }
}

/** Whether the header's `logsBloom` has any bit set (a block with logs always does). */
function hasBloom(header: LoadedHeader): boolean {
  const bloom = header.raw.logsBloom;
  if (typeof bloom !== 'string') return false;
  for (let i = 2; i < bloom.length; i++) if (bloom[i] !== '0') return true;
  return false;
}

/** A log that names another block is a node's mistake; the read is retried. */
function belongs(log: RpcLog, header: LoadedHeader): boolean {
  const hash = log.blockHash;
  return typeof hash !== 'string' || hash.toLowerCase() === header.hash;
}
