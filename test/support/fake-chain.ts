/**
 * A deterministic in-memory chain behind the relayer's `RelayerChain` interface, for engine
 * unit tests that need what anvil cannot do on demand: a node that forgets a transaction, a
 * nonce taken by another transaction, broadcasts refused, reverts, receipts held back. Not a
 * mock of an HTTP client: it keeps a mempool and blocks, and mines only when the test says so.
 */
import type {
  BroadcastResult,
  EstimateResult,
  FeeQuote,
  PreflightResult,
  ReceiptInfo,
  RelayerChain,
  SignedTransaction,
} from '../../src/relayer/chains/chain.js';
import type { BatchTransfer } from '../../src/relayer/model.js';

/** One signed transaction the fake chain knows by its raw bytes. */
export interface FakeTransaction {
  readonly raw: string;
  readonly hash: string;
  readonly signer: string;
  readonly nonce: number;
  readonly kind: 'batch' | 'noop' | 'foreign';
  readonly fees: FeeQuote;
  readonly token: string | null;
  readonly transfers: readonly BatchTransfer[];
}

export interface FakeChainOptions {
  readonly signers: readonly string[];
  /** @default 10 */
  readonly maxBatchSize?: number;
  /** @default { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n } */
  readonly fees?: FeeQuote;
}

const hex64 = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

export class FakeChain implements RelayerChain {
  readonly signers: readonly string[];
  /** What `fees()` quotes; a test may raise it. */
  feeQuote: FeeQuote;
  /** Token balance (lower of balance and allowance) per `signer:token`; absent: plenty. */
  readonly funds = new Map<string, bigint>();
  /** Tokens that are no ERC-20 (pre-flight fails for good). */
  readonly notErc20 = new Set<string>();
  /** Recipients whose transfer makes a batch revert (estimate and on chain). */
  readonly revertingRecipients = new Set<string>();
  /** Recipients whose transfer reverts only on chain (the estimate passed). */
  readonly revertOnChain = new Set<string>();
  /** When set, broadcasts of this kind are refused with this reason. */
  refuse: { readonly kind: 'batch' | 'noop' | 'any'; readonly reason: string } | undefined;
  /** Called before signing a batch; a test may take the lease away here. */
  beforeSign: (() => Promise<void>) | undefined;
  /** Every broadcast, in order, with what the node answered. */
  readonly broadcasts: { readonly tx: FakeTransaction; readonly result: BroadcastResult['kind'] }[] = [];
  /** Number of calls to each signing method. */
  readonly signed = { batch: 0, resign: 0, noop: 0 };
  head = 1;

  private readonly maxBatch: number;
  private readonly known = new Map<string, FakeTransaction>();
  /** Mined nonces per signer (the `latest` nonce). */
  private readonly mined = new Map<string, number>();
  /** Mempool per signer: nonce → transaction. */
  private readonly mempool = new Map<string, Map<number, FakeTransaction>>();
  private readonly receiptsByHash = new Map<string, ReceiptInfo>();
  private counter = 0;

  constructor(options: FakeChainOptions) {
    this.signers = options.signers;
    this.maxBatch = options.maxBatchSize ?? 10;
    this.feeQuote = options.fees ?? { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n };
  }

  parseAddress(text: string): string | undefined {
    const lower = text.toLowerCase();
    if (lower.length !== 42 || !lower.startsWith('0x')) return undefined;
    for (let i = 2; i < 42; i++) if (!'0123456789abcdef'.includes(lower[i]!)) return undefined;
    return lower;
  }

  async nonces(address: string): Promise<{ latest: number; pending: number }> {
    const latest = this.latest(address);
    let pending = latest;
    const pool = this.mempool.get(address);
    while (pool?.has(pending)) pending++;
    return { latest, pending };
  }

  async fees(): Promise<FeeQuote> {
    return this.feeQuote;
  }

  async preflight(signer: string, token: string, total: bigint): Promise<PreflightResult> {
    if (this.notErc20.has(token))
      return { ok: false, reason: `token ${token} did not answer balanceOf/allowance`, retryable: false };
    const available = this.funds.get(`${signer}:${token}`);
    if (available === undefined) return { ok: true, available: 10n ** 30n };
    if (available < total)
      return { ok: false, reason: `balance ${available} below ${total}`, retryable: true, available };
    return { ok: true, available };
  }

  async estimateBatch(
    _signer: string,
    _token: string,
    transfers: readonly BatchTransfer[],
  ): Promise<EstimateResult> {
    const bad = transfers.find((transfer) => this.revertingRecipients.has(transfer.to));
    if (bad !== undefined) return { ok: false, reason: `TransferFailed(${bad.to})` };
    return { ok: true, gas: 50_000n + 30_000n * BigInt(transfers.length) };
  }

  async signBatch(
    signer: string,
    nonce: number,
    fees: FeeQuote,
    _gas: bigint,
    token: string,
    transfers: readonly BatchTransfer[],
  ): Promise<SignedTransaction> {
    await this.beforeSign?.();
    this.signed.batch++;
    return this.make({ signer, nonce, kind: 'batch', fees, token, transfers });
  }

  async resign(_signer: string, raw: string, fees: FeeQuote): Promise<SignedTransaction> {
    const old = this.transaction(raw);
    this.signed.resign++;
    return this.make({ ...old, fees });
  }

  async signNoop(signer: string, nonce: number, fees: FeeQuote): Promise<SignedTransaction> {
    this.signed.noop++;
    return this.make({ signer, nonce, kind: 'noop', fees, token: null, transfers: [] });
  }

  async broadcast(raw: string): Promise<BroadcastResult> {
    const tx = this.transaction(raw);
    const result = this.answer(tx);
    this.broadcasts.push({ tx, result: result.kind });
    if (result.kind === 'accepted' && !this.receiptsByHash.has(tx.hash))
      this.pool(tx.signer).set(tx.nonce, tx);
    return result;
  }

  async headNumber(): Promise<number> {
    return this.head;
  }

  async receipts(hashes: readonly string[]): Promise<Map<string, ReceiptInfo>> {
    const out = new Map<string, ReceiptInfo>();
    for (const hash of hashes) {
      const receipt = this.receiptsByHash.get(hash);
      if (receipt !== undefined) out.set(hash, receipt);
    }
    return out;
  }

  maxBatchSize(): number {
    return this.maxBatch;
  }

  // ── Test controls ───────────────────────────────────────────────────────────

  /** Mines one block holding every signer's mempool transactions that are next in nonce order. */
  mine(): FakeTransaction[] {
    this.head++;
    const included: FakeTransaction[] = [];
    for (const [signer, pool] of this.mempool) {
      let next = this.latest(signer);
      for (let tx = pool.get(next); tx !== undefined; tx = pool.get(next)) {
        pool.delete(next);
        const reverts = tx.transfers.some(
          (transfer) => this.revertOnChain.has(transfer.to) || this.revertingRecipients.has(transfer.to),
        );
        this.receiptsByHash.set(tx.hash, {
          status: reverts ? 'reverted' : 'success',
          blockNumber: this.head,
          blockHash: hex64(this.head),
        });
        included.push(tx);
        next++;
      }
      this.mined.set(signer, next);
    }
    return included;
  }

  /** Adds `count` empty blocks (confirmations). */
  advance(count: number): void {
    this.head += count;
  }

  /** The node forgets every pending transaction (restart, eviction). */
  dropMempool(): void {
    this.mempool.clear();
  }

  /** Another wallet with the same key sends a transaction at the next nonce, mined at once. */
  foreignTransaction(signer: string): FakeTransaction {
    const nonce = this.latest(signer);
    this.pool(signer).delete(nonce);
    const tx = this.make({ signer, nonce, kind: 'foreign', fees: this.feeQuote, token: null, transfers: [] });
    this.pool(signer).set(nonce, this.transaction(tx.raw));
    this.mine();
    return this.transaction(tx.raw);
  }

  /** The transaction signed as `raw` or with this hash. */
  transaction(rawOrHash: string): FakeTransaction {
    const tx = this.known.get(rawOrHash);
    if (tx === undefined) throw new Error(`fake chain: unknown transaction ${rawOrHash}`);
    return tx;
  }

  latest(signer: string): number {
    return this.mined.get(signer) ?? 0;
  }

  private answer(tx: FakeTransaction): BroadcastResult {
    if (this.receiptsByHash.has(tx.hash)) return { kind: 'accepted' };
    if (tx.nonce < this.latest(tx.signer)) return { kind: 'nonce-too-low' };
    if (this.refuse !== undefined && (this.refuse.kind === 'any' || this.refuse.kind === tx.kind))
      return { kind: 'rejected', reason: this.refuse.reason };
    const waiting = this.pool(tx.signer).get(tx.nonce);
    if (waiting !== undefined && waiting.hash !== tx.hash) {
      // Geth's rule: a replacement must raise both fees by at least 10 %.
      const enough = (old: bigint, fee: bigint) => fee * 10n >= old * 11n;
      if (
        !enough(waiting.fees.maxFeePerGas, tx.fees.maxFeePerGas) ||
        !enough(waiting.fees.maxPriorityFeePerGas, tx.fees.maxPriorityFeePerGas)
      )
        return { kind: 'rejected', reason: 'replacement transaction underpriced' };
    }
    return { kind: 'accepted' };
  }

  private make(fields: Omit<FakeTransaction, 'raw' | 'hash'>): SignedTransaction {
    this.counter++;
    const tx: FakeTransaction = {
      ...fields,
      raw: `0x02${this.counter.toString(16).padStart(8, '0')}`,
      hash: hex64(0xabc00000 + this.counter),
    };
    this.known.set(tx.raw, tx);
    this.known.set(tx.hash, tx);
    return { raw: tx.raw, hash: tx.hash };
  }

  private pool(signer: string): Map<number, FakeTransaction> {
    let pool = this.mempool.get(signer);
    if (pool === undefined) {
      pool = new Map();
      this.mempool.set(signer, pool);
    }
    return pool;
  }
}
