/**
 * The recovery of NEAR's transaction sends (idempotent writes in near-methods.ts). A retry sends
 * the very same signed bytes; a node that already applied them may answer `InvalidNonce` (the
 * key's nonce moved past this transaction) instead of its status. Then the transaction is looked
 * up by its hash on the same node: if it exists, the send succeeded, and the answer is its status
 * (send_tx, broadcast_tx_commit) or its hash (broadcast_tx_async).
 */
import { createHash } from 'node:crypto';
import type { RpcRequest } from '../types.js';
import { base58 } from './base58.js';
import type { LookupFn, RecoverableError } from './method-rule.js';

export interface SignedTxFacts {
  readonly hash: string;
  readonly signerId: string;
}

/** Signature length by key type: ed25519 (0) 64 bytes, secp256k1 (1) 65 bytes; plus the type byte. */
const SIGNATURE_BYTES = [65, 66] as const;

/**
 * The hash and signer of a borsh `SignedTransaction` (base64) without decoding its actions: the
 * inner transaction is everything before the signature, whose length the key type tells
 * (`signer_id` is the first field, then the public key's type byte).
 */
export function signedTxFacts(base64: unknown): SignedTxFacts | undefined {
  if (typeof base64 !== 'string' || base64.length === 0) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < 4) return undefined;
  const signerLength = bytes.readUInt32LE(0);
  const keyTypeAt = 4 + signerLength;
  if (keyTypeAt >= bytes.length) return undefined;
  const signatureBytes = SIGNATURE_BYTES[bytes[keyTypeAt] as 0 | 1];
  if (signatureBytes === undefined || bytes.length <= keyTypeAt + signatureBytes) return undefined;
  const inner = bytes.subarray(0, bytes.length - signatureBytes);
  return {
    hash: base58(createHash('sha256').update(inner).digest()),
    signerId: bytes.toString('utf8', 4, keyTypeAt),
  };
}

function signedBytesOf(request: RpcRequest): { base64: unknown; waitUntil: unknown } {
  const params = request.params;
  if (Array.isArray(params)) return { base64: params[0], waitUntil: undefined };
  const named = (params ?? {}) as { signed_tx_base64?: unknown; wait_until?: unknown };
  return { base64: named.signed_tx_base64, waitUntil: named.wait_until };
}

export async function recoverNearSend(
  request: RpcRequest,
  error: RecoverableError,
  lookup: LookupFn,
): Promise<unknown> {
  const body = error.body;
  if (body === undefined || !String(body).includes('"InvalidNonce"')) return undefined;
  const { base64, waitUntil } = signedBytesOf(request);
  const facts = signedTxFacts(base64);
  if (facts === undefined) return undefined;
  const asked = request.method === 'broadcast_tx_async' ? 'NONE' : (waitUntil ?? 'EXECUTED_OPTIMISTIC');
  const status = await lookup('tx', {
    tx_hash: facts.hash,
    sender_account_id: facts.signerId,
    wait_until: asked,
  }).catch(() => undefined);
  if (status === undefined || status === null) return undefined;
  return request.method === 'broadcast_tx_async' ? facts.hash : status;
}
