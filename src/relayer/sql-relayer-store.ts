/**
 * The RelayerStore over Kysely, identical on SQLite and PostgreSQL. Intake lives in
 * sql-relayer-intake.ts, leases in sql-relayer-keys.ts, batches in sql-relayer-batches.ts,
 * attempts in sql-relayer-attempts.ts, the webhook outbox in sql-relayer-webhooks.ts.
 */

import type { DatabaseOptions } from '../store/database.js';
import { openDatabase } from '../store/database.js';
import type { StoreDatabase } from '../store/store-database.js';
import type {
  AcceptRequest,
  AcceptResult,
  Attempt,
  AttemptOutcome,
  Batch,
  KeyLease,
  NewAttempt,
  TransferQuery,
  TransferRecord,
  TransferState,
  WebhookDelivery,
} from './model.js';
import type { ClaimOptions, RelayerStore, SettledTransfers } from './relayer-store.js';
import * as attempts from './sql-relayer-attempts.js';
import * as batches from './sql-relayer-batches.js';
import * as claim from './sql-relayer-claim.js';
import * as intake from './sql-relayer-intake.js';
import * as keys from './sql-relayer-keys.js';
import * as lookups from './sql-relayer-lookups.js';
import * as webhooks from './sql-relayer-webhooks.js';
import type { TransferFailure } from './transfer-failure.js';

export interface SqlRelayerStoreOptions {
  /** Queue a webhook delivery for every transfer that becomes confirmed or failed. */
  readonly webhooks: boolean;
  /**
   * `close()` closes the database too. Off when the handle is shared (tenancy uses it as well).
   * @default false
   */
  readonly closeDatabase?: boolean;
}

export class SqlRelayerStore implements RelayerStore {
  /** Whose turn it is to lead the next claim (sql-relayer-claim.ts). */
  private readonly rotation: claim.ClaimRotation = {};

  constructor(
    private readonly store: StoreDatabase,
    private readonly options: SqlRelayerStoreOptions,
  ) {}

  acceptMany(requests: readonly AcceptRequest[], now: number): Promise<AcceptResult[]> {
    return intake.acceptMany(this.store, requests, now);
  }

  getTransfer(id: string): Promise<TransferRecord | undefined> {
    return intake.getTransfer(this.store.db, id);
  }

  getRequestTransfers(requestId: string): Promise<TransferRecord[]> {
    return intake.getRequestTransfers(this.store.db, requestId);
  }

  listTransfers(query: TransferQuery): Promise<TransferRecord[]> {
    return intake.listTransfers(this.store.db, query);
  }

  getTransfers(ids: readonly string[]): Promise<TransferRecord[]> {
    return intake.getTransfers(this.store.db, ids);
  }

  getTransactionTransfers(txHash: string): Promise<TransferRecord[]> {
    return intake.getTransactionTransfers(this.store.db, txHash);
  }

  findByIdempotencyKey(
    idempotencyKey: string,
    projectIds: readonly (string | null)[],
    limit: number,
  ): Promise<TransferRecord[]> {
    return lookups.findByIdempotencyKey(this.store.db, idempotencyKey, projectIds, limit);
  }

  getBatchTrail(batchId: string): Promise<lookups.BatchTrail | undefined> {
    return lookups.getBatchTrail(this.store.db, batchId);
  }

  countOpen(): Promise<number> {
    return intake.countOpen(this.store.db);
  }

  countByState(options: { readonly openOnly?: boolean } = {}): Promise<Record<TransferState, number>> {
    return intake.countByState(this.store.db, options.openOnly === true);
  }

  registerKeys(addresses: readonly string[]): Promise<void> {
    return keys.registerKeys(this.store, addresses);
  }

  acquireKey(address: string, owner: string, leaseMs: number, now: number): Promise<KeyLease | undefined> {
    return keys.acquireKey(this.store, address, owner, leaseMs, now);
  }

  renewKey(lease: KeyLease, leaseMs: number, now: number): Promise<KeyLease | undefined> {
    return keys.renewKey(this.store, lease, leaseMs, now);
  }

  releaseKey(lease: KeyLease): Promise<void> {
    return keys.releaseKey(this.store, lease);
  }

  setNextNonce(lease: KeyLease, nextNonce: number): Promise<boolean> {
    return keys.setNextNonce(this.store, lease, nextNonce);
  }

  claimBatch(
    lease: KeyLease,
    maxSize: number,
    now: number,
    options?: ClaimOptions,
  ): Promise<Batch | undefined> {
    return claim.claimBatch(this.store, this.rotation, lease, maxSize, now, options);
  }

  failUnfunded(cutoff: number, now: number, failure: TransferFailure): Promise<SettledTransfers> {
    return claim.failUnfunded(this.store, this.options, cutoff, now, failure);
  }

  unsignedBatches(lease: KeyLease): Promise<Batch[]> {
    return batches.unsignedBatches(this.store, lease);
  }

  failBatch(
    lease: KeyLease,
    batchId: string,
    failure: TransferFailure,
    now: number,
  ): Promise<SettledTransfers | undefined> {
    return batches.failBatch(this.store, this.options, lease, batchId, failure, now);
  }

  splitBatch(lease: KeyLease, batchId: string, now: number): Promise<Batch[] | undefined> {
    return batches.splitBatch(this.store, lease, batchId, now);
  }

  releaseBatch(lease: KeyLease, batchId: string, now: number): Promise<boolean> {
    return batches.releaseBatch(this.store, lease, batchId, now);
  }

  recordAttempt(lease: KeyLease, attempt: NewAttempt, now: number): Promise<Attempt | undefined> {
    return attempts.recordAttempt(this.store, lease, attempt, now);
  }

  recordReplacement(
    lease: KeyLease,
    replaces: string,
    attempt: NewAttempt,
    now: number,
  ): Promise<Attempt | undefined> {
    return attempts.recordReplacement(this.store, lease, replaces, attempt, now);
  }

  markSubmitted(lease: KeyLease, attemptId: string, now: number): Promise<boolean> {
    return attempts.markSubmitted(this.store, lease, attemptId, now);
  }

  openAttempts(lease: KeyLease): Promise<Attempt[]> {
    return attempts.openAttempts(this.store, lease);
  }

  settleAttempt(
    lease: KeyLease,
    attemptId: string,
    outcome: AttemptOutcome,
    failure: TransferFailure,
    now: number,
  ): Promise<SettledTransfers | undefined> {
    return attempts.settleAttempt(this.store, this.options, lease, attemptId, outcome, failure, now);
  }

  dropNonce(lease: KeyLease, nonce: number, now: number): Promise<boolean> {
    return attempts.dropNonce(this.store, lease, nonce, now);
  }

  claimWebhooks(now: number, limit: number, claimMs: number): Promise<WebhookDelivery[]> {
    return webhooks.claimWebhooks(this.store, now, limit, claimMs);
  }

  webhookDelivered(id: string, now: number): Promise<void> {
    return webhooks.webhookDelivered(this.store, id, now);
  }

  webhookFailed(id: string, nextAt: number, abandon: boolean): Promise<void> {
    return webhooks.webhookFailed(this.store, id, nextAt, abandon);
  }

  async close(): Promise<void> {
    if (this.options.closeDatabase === true) await this.store.close();
  }
}

/** Opens (and migrates) a database of its own; `close()` closes it. */
export async function openRelayerStore(
  database: DatabaseOptions,
  options: { readonly webhooks: boolean },
): Promise<SqlRelayerStore> {
  return new SqlRelayerStore(await openDatabase(database), { ...options, closeDatabase: true });
}
