/**
 * The read routes: one transfer, a page of transfers, a `/send-ft` job, and the transfers of one
 * transaction (`/transfer/tx/{txHash}`). A caller sees only
 * its own project's transfers (another project's id answers 404, as if it did not exist); with
 * tenancy off every transfer is visible.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { readQuery } from '../../http/json-io.js';
import { parseInput } from '../../http/validation.js';
import type { TransferRecord } from '../model.js';
import type { RelayerStore } from '../relayer-store.js';
import type { RelayerCaller } from './relayer-access.js';
import {
  DEFAULT_LIST_LIMIT,
  listQuerySchema,
  RELAYER_INPUT,
  RELAYER_QUERY,
  txHashSchema,
} from './transfer-schemas.js';
import { jobView, transactionView, transferView } from './transfer-views.js';

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

/** The caller's transfers in one transaction; 400 for a malformed hash, 404 when there are none. */
export async function getTransaction(store: RelayerStore, caller: RelayerCaller, txHash: string) {
  const hash = parseInput(txHashSchema, txHash, RELAYER_INPUT, 'txHash');
  const records = (await store.getTransactionTransfers(hash)).filter((record) => visible(caller, record));
  if (records.length === 0)
    throw new GatewayError('ERR_RELAYER_NOT_FOUND', `no transfer of this project in transaction ${hash}`);
  return transactionView(hash, records);
}

/** `?status=&limit=&before=`: newest first; `nextBefore` fetches the next page (null at the end). */
export async function listTransfers(store: RelayerStore, caller: RelayerCaller, url: string) {
  const query = parseInput(listQuerySchema, readQuery(url), RELAYER_QUERY);
  const limit = query.limit ?? DEFAULT_LIST_LIMIT;
  const records = await store.listTransfers({
    ...(caller.projectId !== null && { projectId: caller.projectId }),
    ...(query.status !== undefined && { state: query.status }),
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
