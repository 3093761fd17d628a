/**
 * Why a transfer failed, as stored: a stable code (one of the error codes of errors/codes.ts,
 * so documented in docs/errors.md) and a human message. The `error` text shown since the start
 * is `CODE: message`; the code is stored on its own as well (`error_code`, API `errorCode`), so
 * clients and queries branch on it without parsing text.
 */
import type { ErrorCode } from '../errors/codes.js';

/** Every code a failed transfer can carry (docs/relayer.md lists the causes). */
export const TRANSFER_FAILURE_CODES = [
  'ERR_RELAYER_INSUFFICIENT_FUNDS',
  'ERR_RELAYER_TRANSFER_REVERTED',
  'ERR_RELAYER_PREFLIGHT',
] as const satisfies readonly ErrorCode[];

export type TransferFailureCode = (typeof TRANSFER_FAILURE_CODES)[number];

export interface TransferFailure {
  readonly code: TransferFailureCode;
  /** For people: the node's revert reason, the balance that fell short, … */
  readonly message: string;
}

/** The stored and shown `error` text: `CODE: message`. */
export function failureText(failure: TransferFailure): string {
  return `${failure.code}: ${failure.message}`;
}
