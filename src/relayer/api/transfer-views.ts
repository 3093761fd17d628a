/**
 * What the API shows of stored transfers: the `/v1/transfers` record, and the job and the
 * transaction of the NEAR-service-compatible `/transfer/{jobId}` and `/transfer/tx/{txHash}`
 * routes (one accepted request = one job).
 */
import type { TransferRecord, TransferState } from '../model.js';
import type { TransferFailureCode } from '../transfer-failure.js';

export interface TransferView {
  readonly id: string;
  readonly requestId: string;
  readonly status: TransferState;
  readonly token: string;
  readonly to: string;
  readonly amount: string;
  readonly memo: string | null;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly error: string | null;
  /** The code of `error` alone: branch on it rather than parse `error`. */
  readonly errorCode: TransferFailureCode | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function transferView(record: TransferRecord): TransferView {
  return {
    id: record.id,
    requestId: record.requestId,
    status: record.state,
    token: record.token,
    to: record.to,
    amount: record.amount.toString(),
    memo: record.memo,
    txHash: record.txHash,
    blockNumber: record.blockNumber,
    error: record.error,
    errorCode: record.errorCode,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
}

/** A job's status, from its transfers' states. */
export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'partially_failed';

export function jobStatus(states: readonly TransferState[]): JobStatus {
  let accepted = 0;
  let confirmed = 0;
  let failed = 0;
  for (const state of states) {
    if (state === 'accepted') accepted++;
    else if (state === 'confirmed') confirmed++;
    else if (state === 'failed') failed++;
  }
  if (accepted === states.length) return 'queued';
  if (confirmed + failed < states.length) return 'processing';
  if (failed === 0) return 'completed';
  return confirmed === 0 ? 'failed' : 'partially_failed';
}

function jobTransferView(record: TransferRecord) {
  return {
    id: record.id,
    receiverId: record.to,
    amount: record.amount.toString(),
    memo: record.memo,
    status: record.state,
    transactionHash: record.txHash,
    blockNumber: record.blockNumber,
    error: record.error,
    errorCode: record.errorCode,
  };
}

export function jobView(jobId: string, records: readonly TransferRecord[]) {
  const first = records[0];
  return {
    jobId,
    status: jobStatus(records.map((record) => record.state)),
    createdAt: first === undefined ? null : new Date(first.createdAt).toISOString(),
    transfers: records.map(jobTransferView),
  };
}

/**
 * The transfers a transaction carries. A fee bump replaces the transaction: asked by the old
 * hash, the transfers show the hash that carries them now in their `transactionHash`.
 */
export function transactionView(txHash: string, records: readonly TransferRecord[]) {
  return {
    transactionHash: txHash,
    transfers: records.map((record) => ({ jobId: record.requestId, ...jobTransferView(record) })),
  };
}
