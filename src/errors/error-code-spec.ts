/**
 * The shape of an error code's entry in the table (codes.ts).
 * `retry` says how far a retry may go: `none` (the request itself is wrong, or it is final),
 * `other` (try a different upstream).
 */
export type RetryScope = 'none' | 'other';

export interface ErrorCodeSpec {
  /** JSON-RPC error code sent to the client. */
  readonly rpc: number;
  /** HTTP status of a response that carries only this error. */
  readonly http: number;
  readonly retry: RetryScope;
  readonly summary: string;
}
