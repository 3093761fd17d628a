/**
 * What the relayer engine needs from a chain. EVM (ERC-20 through a Disperse-style batch
 * contract) is the first implementation (chains/evm/); NEAR comes later behind the same shape.
 * Every call to the chain goes through an `RpcCall`: in the gateway that is the network's own
 * pipeline (load balancing, failover, health), so the relayer never opens its own connections.
 */
import type { BatchTransfer } from '../model.js';

/** One JSON-RPC call; rejects with a GatewayError (pipeline failed) or an RpcAnswerError (node said no). */
export type RpcCall = (method: string, params: readonly unknown[]) => Promise<unknown>;

export interface FeeQuote {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export interface SignedTransaction {
  /** 0x-hex signed bytes. */
  readonly raw: string;
  readonly hash: string;
}

/**
 * `available` is what the signer can pay of the token at all: the lower of its balance and its
 * allowance to the batch contract (absent when the token could not be read). The engine fits
 * its next batches to it.
 */
export type PreflightResult =
  | { readonly ok: true; readonly available: bigint }
  /**
   * `retryable`: may pass later (balance or allowance short); else the batch can never go (no
   * contract at the token, or a contract that answers no balanceOf/allowance: not an ERC-20).
   */
  | { readonly ok: false; readonly reason: string; readonly retryable: boolean; readonly available?: bigint };

export type EstimateResult =
  | { readonly ok: true; readonly gas: bigint }
  | { readonly ok: false; readonly reason: string };

export type BroadcastResult =
  /** The node took it, or already had it: wait for the receipt. */
  | { readonly kind: 'accepted' }
  /** The key's nonce is already past this one: look for a receipt, else the nonce went elsewhere. */
  | { readonly kind: 'nonce-too-low' }
  /** The node refused it for another reason (underpriced, out of funds…); rebroadcast later. */
  | { readonly kind: 'rejected'; readonly reason: string };

export interface ReceiptInfo {
  readonly status: 'success' | 'reverted';
  readonly blockNumber: number;
  readonly blockHash: string;
}

/**
 * Whether a receipt is buried under enough blocks to settle: `confirmations` counts the block
 * holding the transaction, so 1 settles at once. `head` is needed only above 1.
 */
export function deepEnough(receipt: ReceiptInfo, head: number | undefined, confirmations: number): boolean {
  if (confirmations <= 1) return true;
  return head !== undefined && head - receipt.blockNumber + 1 >= confirmations;
}

export interface RelayerChain {
  /** Lowercase canonical form of a recipient or token address, or undefined when invalid. */
  parseAddress(text: string): string | undefined;
  /** The address each configured signing key signs as. */
  readonly signers: readonly string[];
  /** Nonce of the next transaction: `latest` counts mined ones, `pending` the mempool too. */
  nonces(address: string): Promise<{ readonly latest: number; readonly pending: number }>;
  fees(): Promise<FeeQuote>;
  /** Balance, allowance and contract-code checks for `signer` paying `total` of `token`, run in parallel. */
  preflight(signer: string, token: string, total: bigint): Promise<PreflightResult>;
  /** Gas for the batch, or why it would revert (the engine then bisects it before signing). */
  estimateBatch(signer: string, token: string, transfers: readonly BatchTransfer[]): Promise<EstimateResult>;
  signBatch(
    signer: string,
    nonce: number,
    fees: FeeQuote,
    gas: bigint,
    token: string,
    transfers: readonly BatchTransfer[],
  ): Promise<SignedTransaction>;
  /**
   * The same transaction as `raw` (same nonce, call and gas) with new fees: a fee bump of a
   * stuck transaction. The engine passes fees at least `feeBumpPercent` above the old ones.
   */
  resign(signer: string, raw: string, fees: FeeQuote): Promise<SignedTransaction>;
  /** A transaction that does nothing (0 value to itself), to fill a nonce gap. */
  signNoop(signer: string, nonce: number, fees: FeeQuote): Promise<SignedTransaction>;
  broadcast(raw: string): Promise<BroadcastResult>;
  /** Number of the chain's newest block. */
  headNumber(): Promise<number>;
  /** Receipts for the given hashes (absent: not mined yet); one JSON-RPC batch where possible. */
  receipts(hashes: readonly string[]): Promise<Map<string, ReceiptInfo>>;
  /** Largest number of transfers one batch transaction may carry under the gas cap. */
  maxBatchSize(gasCap: bigint): number;
}
