/**
 * The relayer's vocabulary: transfers and their states, the batches that carry them, the
 * transactions (attempts) that carry a batch, and the lease a process holds on a signing key.
 *
 * A transfer moves `accepted → batched → signed → submitted → confirmed | failed`. A batch is
 * bound to one signing key from the moment it is made; each attempt is one signed transaction
 * at one nonce of that key (a fee bump is a second attempt at the same nonce). Amounts are
 * base units as bigint in code and decimal strings in the database and on the wire.
 */

import type { TransferFailureCode } from './transfer-failure.js';

export type TransferState = 'accepted' | 'batched' | 'signed' | 'submitted' | 'confirmed' | 'failed';

export const TERMINAL_STATES: readonly TransferState[] = ['confirmed', 'failed'];

/** One requested transfer after validation (addresses lowercase 0x-hex for EVM). */
export interface TransferInput {
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  readonly memo?: string;
}

export interface TransferRecord {
  readonly id: string;
  readonly requestId: string;
  readonly projectId: string | null;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  readonly memo: string | null;
  readonly state: TransferState;
  /** Why it failed: an error code and message, e.g. `ERR_RELAYER_TRANSFER_REVERTED: …`. */
  readonly error: string | null;
  /** The code of `error` alone (transfer-failure.ts); null unless failed. */
  readonly errorCode: TransferFailureCode | null;
  readonly batchId: string | null;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One accepted HTTP request: one or many transfers under one idempotency key. */
export interface AcceptRequest {
  readonly projectId: string | null;
  readonly idempotencyKey: string;
  /** SHA-256 (hex) of the canonical request body: same key + another body → conflict. */
  readonly requestHash: string;
  readonly transfers: readonly TransferInput[];
}

export type AcceptResult =
  /** Stored now, in this commit. `ids` in request order. */
  | { readonly kind: 'created'; readonly requestId: string; readonly ids: readonly string[] }
  /** The same key and body were stored before: the stored ids. */
  | { readonly kind: 'replay'; readonly requestId: string; readonly ids: readonly string[] }
  /** The same key was stored before with another body. */
  | { readonly kind: 'conflict' };

export interface TransferQuery {
  readonly projectId?: string | null;
  readonly state?: TransferState;
  /** Newest first; `before` is a transfer id from the previous page. */
  readonly before?: string;
  readonly limit: number;
}

/** A process's hold on one signing key. Every write made under it checks the fencing token. */
export interface KeyLease {
  readonly address: string;
  /** Grows by one every time the key changes hands; a write with an older token is refused. */
  readonly fencingToken: number;
  readonly owner: string;
  readonly expiresAt: number;
  /** The next nonce the store will hand out, or null before the key was first synced with the chain. */
  readonly nextNonce: number | null;
}

export type BatchState = 'batched' | 'signed' | 'submitted' | 'confirmed' | 'failed';

export interface BatchTransfer {
  readonly id: string;
  readonly to: string;
  readonly amount: bigint;
}

export interface Batch {
  readonly id: string;
  readonly keyAddress: string;
  readonly token: string;
  readonly state: BatchState;
  readonly transfers: readonly BatchTransfer[];
  readonly createdAt: number;
}

export type AttemptKind = 'batch' | 'noop';
export type AttemptState = 'signed' | 'submitted' | 'confirmed' | 'reverted' | 'replaced' | 'dropped';

/** One signed transaction, stored before it is broadcast. */
export interface Attempt {
  readonly id: string;
  readonly keyAddress: string;
  readonly nonce: number;
  readonly kind: AttemptKind;
  /** The batch it carries (null for a no-op that fills a nonce gap). */
  readonly batchId: string | null;
  /** The signed bytes, 0x-hex: a retry rebroadcasts exactly these. */
  readonly raw: string;
  readonly hash: string;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly state: AttemptState;
  readonly createdAt: number;
  readonly submittedAt: number | null;
}

export type NewAttempt = Omit<Attempt, 'id' | 'state' | 'createdAt' | 'submittedAt'>;

/** What a receipt said about an attempt. */
export interface AttemptOutcome {
  readonly status: 'success' | 'reverted';
  readonly blockNumber: number;
  readonly blockHash: string;
}

/** A terminal transfer whose webhook is due. */
export interface WebhookDelivery {
  readonly id: string;
  readonly transferId: string;
  /** The JSON body, exactly as signed and sent. */
  readonly payload: string;
  readonly attempts: number;
  readonly nextAt: number;
}
