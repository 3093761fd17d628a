/**
 * Options of the reads that meet upstreams at different heights (docs/consistency.md): "not yet"
 * answers retried on an upstream that has the block, and `eth_getLogs` ranges split to fit the
 * upstreams' limits.
 */
import { z } from 'zod';
import { flag, numeric, positiveInt } from './primitives.js';

export const notYetRetrySchema = z.strictObject({
  /** Retry `null` / empty / "header not found" answers on an upstream whose head covers the request. */
  enabled: flag().default(true),
  /** Extra attempts one request may spend on "not yet" answers (within the failsafe deadline). */
  maxRetries: numeric(z.number().int().min(1).max(10)).default(2),
});

export const logSplitSchema = z.strictObject({
  /** Split `eth_getLogs` ranges above the upstreams' `logs.maxBlockRange` and bisect refused parts. */
  enabled: flag().default(true),
  /** Parts of one request fetched at the same time. */
  concurrency: numeric(z.number().int().min(1).max(64)).default(4),
  /** Most parts one request may be split into; a wider range is refused (ERR_LOGS_RANGE_TOO_LARGE). */
  maxParts: numeric(z.number().int().min(2).max(100_000)).default(1_000),
});

/** What one upstream accepts of `eth_getLogs` (a hosted provider's published limits). */
export const upstreamLogsSchema = z.strictObject({
  /** Widest block range (to − from + 1) the upstream answers. */
  maxBlockRange: positiveInt.optional(),
  /** Most logs the upstream returns in one answer; an answer this long may be cut, so it is split. */
  maxResults: positiveInt.optional(),
});

export type NotYetRetryConfig = z.output<typeof notYetRetrySchema>;
export type LogSplitConfig = z.output<typeof logSplitSchema>;
export type UpstreamLogsConfig = z.output<typeof upstreamLogsSchema>;
