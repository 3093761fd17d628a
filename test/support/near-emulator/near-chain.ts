/**
 * The emulated NEAR network: produces a block on a timer, includes pooled transactions, executes
 * their receipts one block later and refunds a block after that (so outcomes settle over two or
 * three blocks, as on NEAR), and tells waiters when a transaction reaches a `wait_until` level.
 * Several RPC nodes (rpc-node.ts) may serve one chain, like the nodes of one network.
 */
import { createHash, randomBytes } from 'node:crypto';
import { baseEncode } from '@near-js/utils';
import { ChainState } from './chain-state.js';
import { invalidTransaction } from './near-errors.js';
import { executeReceipt, type ReceiptResult } from './receipt-execution.js';
import { decodeAndVerify, type VerifiedTransaction } from './signed-transaction.js';
import { admitTransaction, TX_BASE_GAS, upfrontCost } from './tx-admission.js';

/** nearcore's `TxExecutionStatus`, in its order. */
export const WAIT_LEVELS = [
  'NONE',
  'INCLUDED',
  'EXECUTED_OPTIMISTIC',
  'INCLUDED_FINAL',
  'EXECUTED',
  'FINAL',
] as const;
export type WaitLevel = (typeof WAIT_LEVELS)[number];

export interface NearChainOptions {
  /** @default 'localnet' */
  readonly chainId?: string;
  /** Block interval. @default 200 */
  readonly blockMs?: number;
  /** Blocks a transaction's block hash stays valid (nearcore: `transaction_validity_period`). @default 100 */
  readonly validityBlocks?: number;
  /** Blocks between the head and the last final block (Doomslug finality). @default 2 */
  readonly finalityLag?: number;
  /** @default 100_000_000n (yoctoNEAR per gas) */
  readonly gasPrice?: bigint;
  /** @default 300 Tgas */
  readonly maxPrepaidGas?: bigint;
  /** @default 100 */
  readonly maxActions?: number;
}

export interface EmulatedBlock {
  readonly height: number;
  readonly hash: string;
  readonly prevHash: string;
  readonly timestampNs: bigint;
  readonly chunkHash: string;
  readonly txHashes: readonly string[];
  /** Receipts executed in this block. */
  readonly receiptIds: readonly string[];
}

export interface TxRecord {
  readonly tx: VerifiedTransaction;
  readonly receiptId: string;
  readonly refundId: string;
  included?: number;
  executed?: number;
  refunded?: number;
  result?: ReceiptResult;
}

export class NearChain {
  readonly chainId: string;
  readonly state = new ChainState();
  readonly blocks: EmulatedBlock[] = [];
  readonly byHash = new Map<string, EmulatedBlock>();
  readonly transactions = new Map<string, TxRecord>();
  readonly gasPrice: bigint;
  readonly finalityLag: number;
  private readonly validityBlocks: number;
  private readonly limits;
  private readonly blockMs: number;
  private pool: TxRecord[] = [];
  private toExecute: TxRecord[] = [];
  private toRefund: TxRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly seed = randomBytes(16);

  constructor(options: NearChainOptions = {}) {
    this.chainId = options.chainId ?? 'localnet';
    this.blockMs = options.blockMs ?? 200;
    this.validityBlocks = options.validityBlocks ?? 100;
    this.finalityLag = options.finalityLag ?? 2;
    this.gasPrice = options.gasPrice ?? 100_000_000n;
    this.limits = {
      gasPrice: this.gasPrice,
      maxPrepaidGas: options.maxPrepaidGas ?? 300_000_000_000_000n,
      maxActions: options.maxActions ?? 100,
    };
    this.produceBlock(); // genesis
  }

  get head(): EmulatedBlock {
    return this.blocks[this.blocks.length - 1]!;
  }

  get finalHeight(): number {
    return Math.max(0, this.head.height - this.finalityLag);
  }

  blockAt(height: number): EmulatedBlock | undefined {
    const first = this.blocks[0]!.height;
    return this.blocks[height - first];
  }

  start(): void {
    this.timer ??= setInterval(() => this.produceBlock(), this.blockMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called after every block (waiters of send_tx and tx status). */
  onBlock(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Admits a signed transaction into the pool; the same bytes again are the same transaction
   * (idempotent by hash, whatever the key's nonce became since).
   */
  submit(base64: unknown): TxRecord {
    const tx = decodeAndVerify(base64);
    const known = this.transactions.get(tx.hash);
    if (known !== undefined) return known;
    const reference = this.byHash.get(tx.blockHash);
    if (reference === undefined) throw invalidTransaction('InvalidChain');
    if (this.head.height - reference.height > this.validityBlocks) throw invalidTransaction('Expired');
    // The bound on nonces is the height of the block that will include it (the next one).
    admitTransaction(this.state, tx, this.head.height + 1, this.limits);
    // The key's nonce moves when the pool takes the transaction (nearcore: at chunk inclusion).
    this.state.accounts.get(tx.signerId)!.keys.get(tx.publicKey)!.nonce = tx.nonce;
    const record: TxRecord = {
      tx,
      receiptId: derived(tx.hash, 'receipt'),
      refundId: derived(tx.hash, 'refund'),
    };
    this.transactions.set(tx.hash, record);
    this.pool.push(record);
    return record;
  }

  /** How far a transaction has come, in nearcore's `final_execution_status` terms. */
  level(record: TxRecord): WaitLevel {
    const final = this.finalHeight;
    const head = this.head.height;
    if (record.included === undefined) return 'NONE';
    if (record.refunded !== undefined && record.refunded <= final) return 'FINAL';
    const executed = record.executed !== undefined && record.executed <= head;
    if (record.included <= final) return executed ? 'EXECUTED' : 'INCLUDED_FINAL';
    return executed ? 'EXECUTED_OPTIMISTIC' : 'INCLUDED';
  }

  reached(record: TxRecord, wanted: WaitLevel): boolean {
    return WAIT_LEVELS.indexOf(this.level(record)) >= WAIT_LEVELS.indexOf(wanted);
  }

  /** Produces one block now (tests may drive the chain by hand with the timer stopped). */
  produceBlock(): EmulatedBlock {
    const previous = this.blocks[this.blocks.length - 1];
    const height = previous === undefined ? 1 : previous.height + 1;
    const receiptIds: string[] = [];
    for (const record of this.toRefund) {
      record.refunded = height;
      const signer = this.state.accounts.get(record.tx.signerId);
      const result = record.result!;
      const prepaid = upfrontCost(record.tx, this.gasPrice) - depositOf(record);
      const burnt = (TX_BASE_GAS + result.gasBurnt) * this.gasPrice;
      if (signer !== undefined)
        signer.amount += (prepaid > burnt ? prepaid - burnt : 0n) + result.refundDeposit;
      receiptIds.push(record.refundId);
    }
    this.toRefund = this.toExecute;
    for (const record of this.toExecute) {
      record.executed = height;
      record.result = executeReceipt(this.state, record.tx, height);
      receiptIds.push(record.receiptId);
    }
    this.toExecute = this.pool;
    this.pool = [];
    for (const record of this.toExecute) {
      record.included = height;
      const signer = this.state.accounts.get(record.tx.signerId);
      if (signer !== undefined) signer.amount -= upfrontCost(record.tx, this.gasPrice);
    }
    const prevHash = previous?.hash ?? '11111111111111111111111111111111';
    const hash = baseEncode(
      createHash('sha256').update(this.seed).update(prevHash).update(String(height)).digest(),
    );
    const block: EmulatedBlock = {
      height,
      hash,
      prevHash,
      timestampNs: BigInt(Date.now()) * 1_000_000n,
      chunkHash: derived(hash, 'chunk'),
      txHashes: this.toExecute.map((record) => record.tx.hash),
      receiptIds,
    };
    this.blocks.push(block);
    this.byHash.set(hash, block);
    for (const listener of this.listeners) listener();
    return block;
  }
}

/** A deterministic id derived from another hash (receipts, chunks). */
export function derived(hash: string, what: string): string {
  return baseEncode(createHash('sha256').update(what).update(hash).digest());
}

function depositOf(record: TxRecord): bigint {
  let total = 0n;
  for (const action of record.tx.actions)
    if (action.kind === 'FunctionCall' || action.kind === 'Transfer') total += action.deposit;
  return total;
}
