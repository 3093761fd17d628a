/** What the forward pipeline reads of a method (its entry in the method table, see method-table.ts). */
import type { RpcRequest } from '../types.js';

export interface MethodRule {
  /** May a second upstream be raced against a slow first one? */
  readonly hedge: boolean;
  /** May a failed attempt be retried? False for calls that are not idempotent. @default true */
  readonly retry?: boolean | undefined;
  /** Refuse over HTTP with ERR_METHOD_NOT_SUPPORTED (for example subscriptions). */
  readonly unsupported?: string | undefined;
  /** The upstream's head block, when this request's result reveals it (learned for free). */
  readonly reportsHead?: ((result: unknown, request: RpcRequest) => number | undefined) | undefined;
  /**
   * A block the upstream holds, named by this result (a receipt's block): its head is at least
   * that. The network stops answering eth_blockNumber from a tracker that is behind it.
   */
  readonly reportsBlock?: ((result: unknown) => number | undefined) | undefined;
  /** Set for writes (method-table.ts `WriteClass`): the chain may move once one is sent. */
  readonly write?: 'idempotent' | 'once' | undefined;
  /**
   * Turns an upstream JSON-RPC error into success when it proves the request already took
   * effect. Returns the result to send, or undefined to pass the error through.
   */
  readonly recover?:
    | ((request: RpcRequest, error: RecoverableError, lookup: LookupFn) => Promise<unknown>)
    | undefined;
}

export interface RecoverableError {
  readonly code: number;
  readonly message: string;
  /** The whole answer, for chains whose errors say what they mean outside `message` (NEAR). */
  readonly body?: Buffer | string;
}

/** Asks the same upstream one more question (used by `recover`); params positional or named. */
export type LookupFn = (method: string, params: unknown[] | Record<string, unknown>) => Promise<unknown>;
