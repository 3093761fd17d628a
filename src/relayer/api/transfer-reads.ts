/**
 * The read routes: one transfer, a page of transfers, a `/send-ft` job, and the transfers of one
 * transaction (`/transfer/tx/{txHash}`). A caller sees only
 * its own project's transfers (another project's id answers 404, as if it did not exist); with
 * tenancy off every transfer is visible.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { readQuery } from '../../http/json-io.js';
import type { TransferRecord, TransferState } from '../model.js';
import type { RelayerStore } from '../relayer-store.js';
import type { RelayerCaller } from './relayer-access.js';
import { invalidRelayerRequest, type RelayerIssue } from './transfer-body.js';
import { jobView, transactionView, transferView } from './transfer-views.js';

const STATES: readonly TransferState[] = [
  'accepted',
  'batched',
  'signed',
  'submitted',
  'confirmed',
  'failed',
];
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;
const QUERY_FIELDS = ['status', 'limit', 'before'];

function visible(caller: RelayerCaller, record: TransferRecord): boolean {
  return caller.projectId === null || record.projectId === caller.projectId;
}

export async function getTransfer(store: RelayerStore, caller: RelayerCaller, id: string) {
  const record = await store.getTransfer(id);
  if (record === undefined || !visible(caller, record))
    throw new GatewayError('ERR_RELAYER_NOT_FOUND', `no transfer ${id}`);
  return transferView(record);
}

export async function getJob(store: RelayerStore, caller: RelayerCaller, jobId: string) {
  const records = await store.getRequestTransfers(jobId);
  const first = records[0];
  if (first === undefined || !visible(caller, first))
    throw new GatewayError('ERR_RELAYER_NOT_FOUND', `no job ${jobId}`);
  return jobView(jobId, records);
}

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

/** The caller's transfers in one transaction; 400 for a malformed hash, 404 when there are none. */
export async function getTransaction(store: RelayerStore, caller: RelayerCaller, txHash: string) {
  if (!TX_HASH.test(txHash))
    throw invalidRelayerRequest([
      { path: 'txHash', message: 'expected a transaction hash: 0x and 64 hex digits' },
    ]);
  const hash = txHash.toLowerCase();
  const records = (await store.getTransactionTransfers(hash)).filter((record) => visible(caller, record));
  if (records.length === 0)
    throw new GatewayError('ERR_RELAYER_NOT_FOUND', `no transfer of this project in transaction ${hash}`);
  return transactionView(hash, records);
}

/** `?status=&limit=&before=`: newest first; `nextBefore` fetches the next page (null at the end). */
export async function listTransfers(store: RelayerStore, caller: RelayerCaller, url: string) {
  const query = readQuery(url);
  const issues: RelayerIssue[] = [];
  for (const name of Object.keys(query))
    if (!QUERY_FIELDS.includes(name)) issues.push({ path: name, message: 'unknown query parameter' });
  const status = query.status;
  if (status !== undefined && !STATES.includes(status as TransferState))
    issues.push({ path: 'status', message: `expected one of ${STATES.join(', ')}` });
  let limit = DEFAULT_LIST_LIMIT;
  if (query.limit !== undefined) {
    limit = /^[0-9]{1,4}$/.test(query.limit) ? Number(query.limit) : 0;
    if (limit < 1 || limit > MAX_LIST_LIMIT)
      issues.push({ path: 'limit', message: `expected an integer from 1 to ${MAX_LIST_LIMIT}` });
  }
  if (issues.length > 0) throw invalidRelayerRequest(issues);
  const records = await store.listTransfers({
    ...(caller.projectId !== null && { projectId: caller.projectId }),
    ...(status !== undefined && { state: status as TransferState }),
    ...(query.before !== undefined && { before: query.before }),
    // One row more than the page: it tells whether a next page exists (a full last page has none).
    limit: limit + 1,
  });
  const page = records.slice(0, limit);
  const last = page[page.length - 1];
  return {
    transfers: page.map(transferView),
    nextBefore: records.length > limit && last !== undefined ? last.id : null,
  };
}
