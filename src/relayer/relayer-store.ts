/**
 * What the relayer needs from its database. `SqlRelayerStore` implements it on the shared
 * SQLite / PostgreSQL layer; the conformance suite (test/conformance/relayer-store.ts) runs
 * against both.
 *
 * Exactly-once rests on three rules the store enforces, not the engine:
 *  - every write made for a signing key checks the lease's fencing token, so a process that
 *    lost its lease (paused, partitioned) cannot sign or settle anything afterwards;
 *  - a nonce is handed out in the same transaction that stores the signed bytes of the
 *    attempt using it, so no nonce is used twice and no transaction is broadcast unrecorded;
 *  - a batch's transfers change state together with the batch, in one transaction.
 */
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
import type { BatchTrail } from './sql-relayer-lookups.js';
import type { TransferFailure } from './transfer-failure.js';

/** The transfers a settle touched, for latency metrics. */
export interface SettledTransfers {
  readonly confirmed: readonly { readonly id: string; readonly createdAt: number }[];
  readonly failed: readonly { readonly id: string; readonly createdAt: number }[];
  /** New batches made when a reverted batch was bisected. */
  readonly split: readonly Batch[];
}

/** What a signing key can pay of one token, for fitting a batch to it. */
export interface TokenFunds {
  /** What it may spend now: the lower of balance and allowance, less its transactions in flight. */
  readonly spendable: bigint;
  /** The lower of balance and allowance when last read: a transfer above it is beyond this key. */
  readonly total: bigint;
}

export interface ClaimOptions {
  /** A partial batch is claimed only once its oldest transfer waited this long. @default 0 */
  readonly fillWaitMs?: number;
  /** What the key can pay, by token address. A token absent is unknown: claimed without a limit. */
  readonly funds?: ReadonlyMap<string, TokenFunds>;
}

export interface RelayerStore {
  // ── Intake (API) ────────────────────────────────────────────────────────────
  /**
   * Stores many requests in ONE transaction (the API groups a tick's requests into one commit).
   * Per request: new key → `created`; same key and hash → `replay` with the stored ids; same
   * key, other hash → `conflict`. Keys are scoped to the project (null = keyless/dev).
   * Two requests with the same key in one call: the first decides, the second is a replay or
   * conflict of it.
   */
  acceptMany(requests: readonly AcceptRequest[], now: number): Promise<AcceptResult[]>;
  getTransfer(id: string): Promise<TransferRecord | undefined>;
  /** The transfers of one accepted request (a job of the `/send-ft` routes), in request order. */
  getRequestTransfers(requestId: string): Promise<TransferRecord[]>;
  listTransfers(query: TransferQuery): Promise<TransferRecord[]>;
  /** The transfers of these ids that exist, in no particular order (the API's wait poller). */
  getTransfers(ids: readonly string[]): Promise<TransferRecord[]>;
  /**
   * The transfers the batch of the transaction `txHash` (any attempt, a replaced one too)
   * carries now, oldest first; empty for an unknown hash or a no-op transaction.
   */
  getTransactionTransfers(txHash: string): Promise<TransferRecord[]>;
  /**
   * The transfers stored under an idempotency key by any of these projects (null = keyless),
   * oldest first, at most `limit` (the dashboard's transfer search).
   */
  findByIdempotencyKey(
    idempotencyKey: string,
    projectIds: readonly (string | null)[],
    limit: number,
  ): Promise<TransferRecord[]>;
  /** A batch with every transaction signed for it, without raw bytes (a transfer's timeline). */
  getBatchTrail(batchId: string): Promise<BatchTrail | undefined>;
  /** Transfers not yet confirmed or failed (the queue depth back-pressure is measured on). */
  countOpen(): Promise<number>;
  /**
   * Transfers per state. `openOnly` counts only the states not yet terminal (zero for
   * confirmed and failed): a range scan of the waiting rows, cheap enough for every scrape.
   */
  countByState(options?: { readonly openOnly?: boolean }): Promise<Record<TransferState, number>>;

  // ── Signing keys ────────────────────────────────────────────────────────────
  /** Adds keys not yet known (idempotent); never changes a known key's nonce or lease. */
  registerKeys(addresses: readonly string[]): Promise<void>;
  /**
   * Takes the key if it is free, its lease expired, or `owner` already holds it; the fencing
   * token grows by one on every change of hands. Undefined when another owner holds it (or the
   * key was never registered).
   */
  acquireKey(address: string, owner: string, leaseMs: number, now: number): Promise<KeyLease | undefined>;
  /** Extends the lease; undefined when it was lost (expired and taken, fencing token moved on). */
  renewKey(lease: KeyLease, leaseMs: number, now: number): Promise<KeyLease | undefined>;
  releaseKey(lease: KeyLease): Promise<void>;
  /** Sets the next nonce (the reconciler, after reading the chain). False when the lease is lost. */
  setNextNonce(lease: KeyLease, nextNonce: number): Promise<boolean>;

  // ── Batches ─────────────────────────────────────────────────────────────────
  /**
   * Moves up to `maxSize` accepted transfers of one token into a new batch bound to the lease's
   * key: state `batched`. Fair between projects: the claims take the projects with waiting
   * transfers in turn (each claim led by the next one, whose oldest transfer names the token),
   * and a batch is shared equally between the waiting projects of its token, oldest first in
   * each, so one project's backlog delays another's transfer by at most one batch.
   * With `funds` the batch fits what the key can pay: a transfer above what is left is skipped
   * (it stays `accepted` and never holds up the ones behind it), and one above all the key
   * holds is marked unfunded (see failUnfunded) until some key claims it.
   * PostgreSQL skips rows other processes are claiming (FOR UPDATE SKIP LOCKED).
   * Undefined when nothing fits, or the lease is lost; also while fewer than `maxSize` of the
   * oldest transfer's token wait and it has waited less than `fillWaitMs`.
   */
  claimBatch(
    lease: KeyLease,
    maxSize: number,
    now: number,
    options?: ClaimOptions,
  ): Promise<Batch | undefined>;
  /**
   * Fails the accepted transfers marked unfunded at or before `cutoff` (no key could pay them
   * since) with `failure`, queuing their webhooks; at most 1,000 a call.
   */
  failUnfunded(cutoff: number, now: number, failure: TransferFailure): Promise<SettledTransfers>;
  /** This key's batches still `batched` (no attempt signed yet): after a restart or a bisection. */
  unsignedBatches(lease: KeyLease): Promise<Batch[]>;
  /** Fails every transfer of an unsigned batch with `failure` (pre-flight said it can never go). */
  failBatch(
    lease: KeyLease,
    batchId: string,
    failure: TransferFailure,
    now: number,
  ): Promise<SettledTransfers | undefined>;
  /**
   * Bisects an unsigned batch (gas estimate said it reverts): two new batches, same key; the old
   * one becomes `failed`. Undefined for a batch of one (nothing to bisect).
   */
  splitBatch(lease: KeyLease, batchId: string, now: number): Promise<Batch[] | undefined>;
  /** Returns an unsigned batch's transfers to `accepted` (e.g. the key cannot pay for it now). */
  releaseBatch(lease: KeyLease, batchId: string, now: number): Promise<boolean>;

  // ── Attempts ────────────────────────────────────────────────────────────────
  /**
   * Stores a signed transaction at the key's next nonce and advances it, in one transaction;
   * the batch and its transfers become `signed` with the attempt's hash. Refused (undefined)
   * when the lease is lost or `attempt.nonce` is not the key's next nonce.
   */
  recordAttempt(lease: KeyLease, attempt: NewAttempt, now: number): Promise<Attempt | undefined>;
  /** Stores a fee bump of `replaces` (same nonce, same batch, higher fees). */
  recordReplacement(
    lease: KeyLease,
    replaces: string,
    attempt: NewAttempt,
    now: number,
  ): Promise<Attempt | undefined>;
  /**
   * The broadcast went out (or the node already had it): attempt, batch and transfers `submitted`.
   * True again for an attempt already submitted; false once it is settled or dropped.
   */
  markSubmitted(lease: KeyLease, attemptId: string, now: number): Promise<boolean>;
  /** This key's attempts still `signed` or `submitted`, by nonce then age. */
  openAttempts(lease: KeyLease): Promise<Attempt[]>;
  /**
   * A receipt for `attemptId` arrived. Success: the attempt is `confirmed`, the other attempts
   * at its nonce `replaced`, the batch and its transfers `confirmed` with hash and block.
   * Reverted: attempt `reverted`, siblings `replaced`; a batch of one fails with `failure`, a
   * larger batch is bisected into two new unsigned batches (same key). Terminal transfers get
   * their webhook queued in the same transaction when webhooks are on. Undefined only when the
   * lease is lost; an attempt no longer open settles nothing (empty lists). A no-op that
   * replaced a batch's attempt returns that batch's transfers to `accepted`.
   */
  settleAttempt(
    lease: KeyLease,
    attemptId: string,
    outcome: AttemptOutcome,
    failure: TransferFailure,
    now: number,
  ): Promise<SettledTransfers | undefined>;
  /**
   * The key's nonce moved past this attempt and no receipt names any attempt at that nonce
   * (something else used it): every attempt at the nonce becomes `dropped` and the batch's
   * transfers go back to `accepted`, to be batched again. The next nonce is left to
   * `setNextNonce`. False only when the lease is lost (nothing open at the nonce: true, no-op).
   */
  dropNonce(lease: KeyLease, nonce: number, now: number): Promise<boolean>;

  // ── Webhooks (an outbox filled by settle/fail) ──────────────────────────────
  /**
   * Claims up to `limit` due deliveries for `claimMs` (other processes skip them meanwhile);
   * each one's `nextAt` is the end of its claim.
   */
  claimWebhooks(now: number, limit: number, claimMs: number): Promise<WebhookDelivery[]>;
  webhookDelivered(id: string, now: number): Promise<void>;
  /** Schedules the next try; after `abandon` the delivery is given up (kept, marked). */
  webhookFailed(id: string, nextAt: number, abandon: boolean): Promise<void>;

  close(): Promise<void>;
}
