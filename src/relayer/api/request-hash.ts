/**
 * The request hash idempotency compares: SHA-256 of a canonical JSON of the normalized
 * transfers (fixed key order, lowercase addresses, amounts as plain decimal strings), so
 * `"0x…AbC"` and `"0x…abc"`, `"007"` and `"7"`, or a token's name and its address are the same
 * body, while the form (single, batch, send-ft) is part of it: a replay answers in the shape of
 * the first request.
 */
import { createHash } from 'node:crypto';
import type { TransferInput } from '../model.js';
import type { RequestForm } from './transfer-body.js';

export function canonicalRequest(form: RequestForm, transfers: readonly TransferInput[]): string {
  const items = transfers.map((transfer) => ({
    token: transfer.token,
    to: transfer.to,
    amount: transfer.amount.toString(),
    memo: transfer.memo ?? null,
  }));
  return JSON.stringify({ form, transfers: items });
}

export function requestHash(form: RequestForm, transfers: readonly TransferInput[]): string {
  return createHash('sha256').update(canonicalRequest(form, transfers), 'utf8').digest('hex');
}
