/**
 * What one JSON-RPC POST carries through the pipeline's stages (pipeline.ts), and what each of
 * its items comes out as. The HTTP route's own per-request object extends the call, so a request
 * allocates one object for both.
 */
import type { CacheStatus } from '../cache/network-cache.js';
import type { ResponseBody } from '../http/exchange.js';
import type { Logger } from '../logging/logger.js';
import type { Access } from '../tenancy/access.js';
import type { RequestConsistency } from './consistency/request-consistency.js';
import type { Network } from './network.js';
import type { StageTiming } from './stage-timing.js';

export interface PipelineCall {
  readonly network: Network;
  readonly timing: StageTiming;
  /** Who is calling: set by the auth stage when tenancy is on, else undefined. */
  access: Access | undefined;
  /** Where every ERR_INTERNAL is logged with its stack. */
  readonly log: Logger;
  readonly requestId: string | number | undefined;
  /** Session and directives (consistency on only, set after auth), else undefined. */
  consistency?: RequestConsistency | undefined;
}

/** One item's answer: a response entry of a single or batch body. */
export interface ItemEntry {
  /** Response entry bytes, or undefined for a notification. */
  readonly body: ResponseBody | undefined;
  readonly status: number;
  /** How the cache took part; undefined when the item was not cacheable. */
  readonly cache?: CacheStatus | undefined;
  /** The cache key of a hit with a final plan (the request's shape may be mapped to it). */
  readonly finalKey?: string | undefined;
}
