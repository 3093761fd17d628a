/** The relayer: transfers API and engine. */
import type { ErrorCodeSpec } from './error-code-spec.js';

export const RELAYER_CODES = {
  // Relayer: transfers API and engine.
  ERR_RELAYER_INVALID: {
    rpc: -32602,
    http: 400,
    retry: 'none',
    summary: 'A transfer request is invalid; `data.issues` lists each field with its path.',
  },
  ERR_RELAYER_IDEMPOTENCY_CONFLICT: {
    rpc: -32009,
    http: 409,
    retry: 'none',
    summary: 'The idempotency key was used before with another body.',
  },
  ERR_RELAYER_NOT_FOUND: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'No transfer, job or transaction with that id or hash (for this project).',
  },
  ERR_RELAYER_QUEUE_FULL: {
    rpc: -32005,
    http: 503,
    retry: 'none',
    summary: 'The relayer queue is at `relayer.maxQueueDepth`; retry after `Retry-After`.',
  },
  ERR_RELAYER_WAIT_CAPACITY: {
    rpc: -32005,
    http: 503,
    retry: 'none',
    summary: 'Too many `?wait=` requests wait in this process (`relayer.wait.maxWaiters`); nothing stored.',
  },
  ERR_RELAYER_TRANSFER_FAILED: {
    rpc: -32603,
    http: 422,
    retry: 'none',
    summary: 'A `?wait=` request ended: a transfer of it failed; the answer lists each outcome.',
  },
  ERR_RELAYER_UNAVAILABLE: {
    rpc: -32603,
    http: 503,
    retry: 'none',
    summary: 'The relayer could not store the request (database down); nothing was accepted.',
  },
  ERR_RELAYER_TRANSFER_REVERTED: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'A transfer failed: alone in its batch, it reverted on chain or in gas estimation.',
  },
  ERR_RELAYER_PREFLIGHT: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'A transfer failed a pre-flight check that cannot pass later (the token is no ERC-20 contract).',
  },
  ERR_RELAYER_INSUFFICIENT_FUNDS: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'A transfer failed: no signing key could pay it for `relayer.unfundedTimeoutMs`.',
  },
  ERR_RELAYER_NONCE_GAP: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'A signing key had a nonce no stored transaction could fill; a no-op filled it.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;
