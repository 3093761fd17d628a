/**
 * The transfer search: one text box that takes a transfer id (`tr_…`), a request (job) id
 * (`rq_…`), a transaction hash (`0x` + 64 hex) or an idempotency key, and answers the matching
 * transfers of the session's scope, each with its state timeline: accepted, batched, each
 * signed transaction and its broadcast, then confirmed or failed with the reason. Ids and hashes
 * that find nothing are tried as an idempotency key too (a key may look like anything).
 * Everything is read from the relayer store's indexed reads; nothing is cached.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { TransferRecord } from '../relayer/model.js';
import type { RelayerStore } from '../relayer/relayer-store.js';
import type { BatchTrail } from '../relayer/sql-relayer-lookups.js';

/** Transfers shown per search (a request may hold a thousand; the count says how many matched). */
export const SEARCH_LIMIT = 20;
const MAX_QUERY_LENGTH = 256;
const TRANSFER_ID = /^tr_[0-9A-Za-z]{20}$/;
const REQUEST_ID = /^rq_[0-9A-Za-z]{20}$/;
const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

export type MatchedBy = 'transferId' | 'requestId' | 'txHash' | 'idempotencyKey';

/** Whose transfers a search may see: `all` (the admin), or these projects (null = keyless). */
export type SearchScope = 'all' | readonly (string | null)[];

export interface TimelineStep {
  readonly step: 'accepted' | 'batched' | 'signed' | 'broadcast' | 'confirmed' | 'failed';
  readonly at: number;
  readonly detail: string;
}

export interface FoundTransfer {
  readonly id: string;
  readonly projectId: string | null;
  readonly requestId: string;
  readonly state: string;
  readonly token: string;
  readonly to: string;
  readonly amount: string;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly error: string | null;
  readonly errorCode: string | null;
  readonly timeline: readonly TimelineStep[];
}

export interface SearchAnswer {
  readonly query: string;
  readonly matchedBy: MatchedBy;
  readonly transfers: readonly FoundTransfer[];
}

export interface SearchContext {
  readonly store: RelayerStore;
  readonly scope: SearchScope;
  /** Every project id (the admin's idempotency-key search looks in each); default: keyless only. */
  readonly allProjects: () => Promise<readonly string[]>;
}

export async function searchTransfers(context: SearchContext, raw: string): Promise<SearchAnswer> {
  const query = raw.trim();
  if (query === '' || query.length > MAX_QUERY_LENGTH)
    throw new GatewayError(
      'ERR_DASHBOARD_INVALID',
      `q: a transfer id, request id, transaction hash or idempotency key of 1 to ${MAX_QUERY_LENGTH} characters`,
    );
  const { store } = context;
  const visible = (records: readonly TransferRecord[]) =>
    context.scope === 'all'
      ? records
      : records.filter((record) => (context.scope as readonly (string | null)[]).includes(record.projectId));
  let matchedBy: MatchedBy = 'idempotencyKey';
  let found: readonly TransferRecord[] = [];
  if (TRANSFER_ID.test(query)) {
    const one = await store.getTransfer(query);
    found = visible(one === undefined ? [] : [one]);
    matchedBy = 'transferId';
  } else if (REQUEST_ID.test(query)) {
    found = visible(await store.getRequestTransfers(query));
    matchedBy = 'requestId';
  } else if (TX_HASH.test(query)) {
    found = visible(await store.getTransactionTransfers(query.toLowerCase()));
    matchedBy = 'txHash';
  }
  if (found.length === 0) {
    const projects: readonly (string | null)[] =
      context.scope === 'all' ? [null, ...(await context.allProjects())] : context.scope;
    found = visible(await store.findByIdempotencyKey(query, projects, SEARCH_LIMIT));
    matchedBy = 'idempotencyKey';
  }
  // Another project's transfer is answered exactly as a missing one: no probing for ids.
  if (found.length === 0)
    throw new GatewayError('ERR_DASHBOARD_NOT_FOUND', `no transfer you may see matches "${query}"`);
  const trails = new Map<string, Promise<BatchTrail | undefined>>();
  const trailOf = (batchId: string) => {
    let trail = trails.get(batchId);
    if (trail === undefined) {
      trail = store.getBatchTrail(batchId);
      trails.set(batchId, trail);
    }
    return trail;
  };
  const transfers = await Promise.all(
    found.slice(0, SEARCH_LIMIT).map(async (record) => {
      const trail = record.batchId === null ? undefined : await trailOf(record.batchId);
      return foundTransfer(record, trail);
    }),
  );
  return { query, matchedBy, transfers };
}

function foundTransfer(record: TransferRecord, trail: BatchTrail | undefined): FoundTransfer {
  return {
    id: record.id,
    projectId: record.projectId,
    requestId: record.requestId,
    state: record.state,
    token: record.token,
    to: record.to,
    amount: record.amount.toString(),
    txHash: record.txHash,
    blockNumber: record.blockNumber,
    error: record.error,
    errorCode: record.errorCode,
    timeline: timeline(record, trail),
  };
}

/** The steps so far, oldest first. A transfer batched again (a dropped nonce) shows its latest batch. */
export function timeline(record: TransferRecord, trail: BatchTrail | undefined): TimelineStep[] {
  const steps: TimelineStep[] = [
    { step: 'accepted', at: record.createdAt, detail: `request ${record.requestId}` },
  ];
  if (trail !== undefined) {
    steps.push({
      step: 'batched',
      at: trail.createdAt,
      detail: `batch ${trail.id} of ${trail.size}, key ${trail.keyAddress}`,
    });
    trail.attempts.forEach((attempt, index) => {
      const fee = `max fee ${attempt.maxFeePerGas} wei`;
      steps.push({
        step: 'signed',
        at: attempt.createdAt,
        detail: `attempt ${index + 1}: ${attempt.hash}, nonce ${attempt.nonce}, ${fee} (${attempt.state})`,
      });
      if (attempt.submittedAt !== null)
        steps.push({
          step: 'broadcast',
          at: attempt.submittedAt,
          detail: `attempt ${index + 1}: ${attempt.hash}`,
        });
    });
  }
  if (record.state === 'confirmed')
    steps.push({
      step: 'confirmed',
      at: record.updatedAt,
      detail: `${record.txHash ?? ''} in block ${record.blockNumber ?? '?'}`,
    });
  if (record.state === 'failed')
    steps.push({ step: 'failed', at: record.updatedAt, detail: record.error ?? 'failed' });
  return steps;
}
