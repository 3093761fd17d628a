/** JSON-RPC 2.0 shapes as the gateway sees them. */
import type { GatewayError } from '../errors/gateway-error.js';

export type RpcId = string | number | null;

export interface RpcRequest {
  /** `undefined` marks a notification: it gets no response entry. */
  readonly id: RpcId | undefined;
  readonly method: string;
  readonly params: unknown;
  /** The item's exact bytes, forwarded unchanged when nothing needs rewriting. */
  readonly raw: Buffer;
  /**
   * The id's source text when JSON.stringify would write it otherwise: numbers such as 2^64,
   * `1e2`, `-0` or `1.50` (sent upstream with a synthetic id, see raw-id.ts), strings with escapes.
   */
  readonly rawId?: string;
}

/** One entry of a parsed body: a valid request, or the error its response entry must carry. */
export type RpcItem = { readonly ok: true; readonly request: RpcRequest } | RpcInvalidItem;

export interface RpcInvalidItem {
  readonly ok: false;
  readonly id: RpcId;
  readonly error: GatewayError;
  /** The id's source text, as on RpcRequest. */
  readonly rawId?: string;
}

export type ParsedBody =
  | { readonly kind: 'single'; readonly item: RpcItem }
  | { readonly kind: 'batch'; readonly items: readonly RpcItem[] };
