/** The one error type of Turnpike: branch on `code`, never on the message. */
import { ERROR_CODES, type ErrorCode, type RetryScope } from './codes.js';

export interface GatewayErrorOptions {
  cause?: unknown;
  /** Extra data sent to the client in `error.data` (never secrets). */
  data?: unknown;
  /** Overrides the HTTP status of the code (for example an upstream's 429 passed on). */
  httpStatus?: number;
}

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: ErrorCode;
  readonly rpcCode: number;
  readonly httpStatus: number;
  readonly retry: RetryScope;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec = ERROR_CODES[code];
    this.code = code;
    this.rpcCode = spec.rpc;
    this.httpStatus = options.httpStatus ?? spec.http;
    this.retry = spec.retry;
    this.data = options.data;
  }

  /** The `error` member of a JSON-RPC response. */
  toRpcError(): { code: number; message: string; data: unknown } {
    return { code: this.rpcCode, message: this.message, data: { code: this.code, ...dataObject(this.data) } };
  }
}

function dataObject(data: unknown): Record<string, unknown> {
  if (data === undefined) return {};
  if (data !== null && typeof data === 'object' && !Array.isArray(data))
    return data as Record<string, unknown>;
  return { detail: data };
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** Wraps anything thrown into a GatewayError; unknown errors are internal bugs. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('ERR_INTERNAL', 'internal error', { cause: err });
}
