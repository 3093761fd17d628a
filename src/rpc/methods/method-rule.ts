/** Per-method behaviour of the pipeline; methods without a rule get DEFAULT_RULE. */
import type { RpcRequest } from '../types.js';

export interface MethodRule {
  /** May a second upstream be raced against a slow first one? */
  readonly hedge: boolean;
  /** May a failed attempt be retried? False for calls that are not idempotent. @default true */
  readonly retry?: boolean;
  /** Refuse over HTTP with ERR_METHOD_NOT_SUPPORTED (for example subscriptions). */
  readonly unsupported?: string;
  /** The upstream's head block, when this request's result reveals it (learned for free). */
  readonly reportsHead?: (result: unknown, request: RpcRequest) => number | undefined;
  /**
   * Turns an upstream JSON-RPC error into success when it proves the request already took
   * effect. Returns the result to send, or undefined to pass the error through.
   */
  readonly recover?: (request: RpcRequest, error: RecoverableError, lookup: LookupFn) => Promise<unknown>;
}

export interface RecoverableError {
  readonly code: number;
  readonly message: string;
}

/** Asks the same upstream one more question (used by `recover`). */
export type LookupFn = (method: string, params: unknown[]) => Promise<unknown>;

export const DEFAULT_RULE: MethodRule = { hedge: true };
