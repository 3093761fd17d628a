/**
 * NEAR JSON-RPC error answers as nearcore writes them: a `name` (the error class), a `cause`
 * naming the exact failure with its `info`, the legacy `code`/`message`/`data` triple.
 */

export interface NearRpcErrorBody {
  readonly name: string;
  readonly cause: { readonly name: string; readonly info?: unknown };
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** A thrown answer: the handler stops and the node answers this error. */
export class NearRpcError extends Error {
  constructor(readonly body: NearRpcErrorBody) {
    super(`${body.cause.name}: ${typeof body.data === 'string' ? body.data : JSON.stringify(body.data)}`);
  }
}

export function handlerError(cause: string, info: unknown, data: unknown): NearRpcError {
  return new NearRpcError({
    name: 'HANDLER_ERROR',
    cause: { name: cause, info },
    code: -32000,
    message: 'Server error',
    data,
  });
}

export function requestError(cause: string, info: unknown, data: unknown): NearRpcError {
  return new NearRpcError({
    name: 'REQUEST_VALIDATION_ERROR',
    cause: { name: cause, info },
    code: -32700,
    message: 'Parse error',
    data,
  });
}

export function methodNotFound(method: string): NearRpcError {
  return new NearRpcError({
    name: 'REQUEST_VALIDATION_ERROR',
    cause: { name: 'METHOD_NOT_FOUND', info: { method_name: method } },
    code: -32601,
    message: 'Method not found',
    data: method,
  });
}

export function unknownBlock(reference: unknown): NearRpcError {
  return handlerError(
    'UNKNOWN_BLOCK',
    { block_reference: reference },
    `DB Not Found Error: BLOCK: ${JSON.stringify(reference)}`,
  );
}

/** An invalid transaction: `InvalidTxError` with its variant, as send_tx and broadcast_tx_* answer. */
export function invalidTransaction(variant: unknown): NearRpcError {
  const error = { TxExecutionError: { InvalidTxError: variant } };
  return new NearRpcError({
    name: 'HANDLER_ERROR',
    cause: { name: 'INVALID_TRANSACTION', info: error },
    code: -32000,
    message: 'Server error',
    data: error,
  });
}

export function timeoutError(): NearRpcError {
  return handlerError('TIMEOUT_ERROR', {}, 'Timeout');
}

export function unknownTransaction(hash: string): NearRpcError {
  return handlerError(
    'UNKNOWN_TRANSACTION',
    { requested_transaction_hash: hash },
    `Transaction ${hash} doesn't exist`,
  );
}
