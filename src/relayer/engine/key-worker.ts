/**
 * One signing key's loop while this process holds its lease: claim batches, check them, sign
 * at the next nonce (stored before broadcast), broadcast, poll receipts, settle, bump stuck
 * transactions. Up to `maxInFlightPerKey` transactions are out at once, so a key fills several
 * slots of a block. Recovery after a crash or a lost broadcast is the reconciler's job
 * (reconcile.ts), run when the lease is taken and every `reconcileMs`.
 */
import type { Logger } from '../../logging/logger.js';
import { deepEnough, type ReceiptInfo, type RelayerChain } from '../chains/chain.js';
import type { Attempt, Batch, KeyLease } from '../model.js';
import type { RelayerStore } from '../relayer-store.js';
import type { EngineSettings } from './engine-settings.js';
import type { EngineStats } from './engine-stats.js';
import { bumpedFees, type FeeOracle } from './fee-oracle.js';
import { KeyFunds } from './key-funds.js';
import { LeaseLostError, requireLease } from './lease-lost.js';
import { OpenAttempts } from './open-attempts.js';
import { PromisedSpend } from './promised-spend.js';

export interface KeyWorkerDeps {
  readonly store: RelayerStore;
  readonly chain: RelayerChain;
  readonly fees: FeeOracle;
  readonly stats: EngineStats;
  readonly log: Logger;
  readonly settings: EngineSettings;
  /** The reconciler (reconcile.ts), injected so the two files do not import each other. */
  readonly reconcile: (worker: KeyWorker) => Promise<void>;
}

const IDLE_MS = 50;
const ERROR_BACKOFF_MS = 500;

export class KeyWorker {
  private readonly open = new OpenAttempts();
  /** Batches bound to this key and not yet signed (resumed after a restart, or halves of a bisection). */
  private readonly unsigned: Batch[] = [];
  /** Amount of each token promised by this key's open transactions, for the balance check. */
  private readonly promised = new PromisedSpend();
  /** What the key can pay of each token: its claims are fitted to it. */
  private readonly funds = new KeyFunds();
  /** Pre-flight checks in a row that found the key short: the second one rests it. */
  private shortInARow = 0;
  private nextNonce = 0;
  private holdUntil = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  private lastErrorLog = 0;

  constructor(
    public lease: KeyLease,
    readonly deps: KeyWorkerDeps,
  ) {}

  get address(): string {
    return this.lease.address;
  }

  get lost(): boolean {
    return this.stopped;
  }

  /** Runs until stopped or the lease is lost. Never rejects. */
  async run(): Promise<void> {
    const { settings } = this.deps;
    let lastPoll = 0;
    let lastReconcile = 0;
    while (!this.stopped) {
      try {
        const now = Date.now();
        if (now - lastReconcile >= settings.reconcileMs || lastReconcile === 0) {
          await this.deps.reconcile(this);
          lastReconcile = Date.now();
          lastPoll = lastReconcile;
        } else if (now - lastPoll >= settings.pollMs) {
          await this.pollReceipts();
          lastPoll = Date.now();
        }
        const sent = await this.fill();
        if (!sent) await this.sleep(Math.min(IDLE_MS, settings.pollMs));
      } catch (err) {
        if (err instanceof LeaseLostError) {
          this.deps.log.warn({ key: this.address }, 'relayer key lease lost; another process holds it now');
          this.stopped = true;
          break;
        }
        this.logError(err);
        await this.sleep(ERROR_BACKOFF_MS);
      }
    }
    this.deps.stats.inFlight.delete(this.address);
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** New work may be waiting (the intake stored transfers). */
  poke(): void {
    this.wake?.();
  }

  /**
   * The reconciler read the store: its open attempts become the working copy, and its unsigned
   * batches join the queue (those already queued stay once). Returns the next nonce the store
   * and this worker know of: the highest of the lease's, the worker's and the open attempts'.
   */
  adoptReconciled(open: readonly Attempt[], unsigned: readonly Batch[]): number {
    this.open.replaceAll(open);
    const known = new Set(this.unsigned.map((batch) => batch.id));
    for (const batch of unsigned) if (!known.has(batch.id)) this.unsigned.push(batch);
    return Math.max(this.lease.nextNonce ?? 0, this.nextNonce, ...open.map((attempt) => attempt.nonce + 1));
  }

  /** The reconciler settled the next nonce (never below what this worker already signed at). */
  syncNonce(next: number): void {
    this.nextNonce = next;
  }

  /** Open transactions by nonce, in nonce order, each with its newest attempt last. */
  openGroups(): { nonce: number; attempts: readonly Attempt[]; newest: Attempt }[] {
    return this.open.groups();
  }

  /** A stored replacement (fee bump or no-op) now holds its nonce's slot with the others. */
  trackReplacement(attempt: Attempt): void {
    this.open.add(attempt);
  }

  /** Asleep with an in-flight slot free: a poke now would look for a batch at once. */
  get idle(): boolean {
    return (
      this.wake !== undefined && !this.stopped && this.open.nonceCount < this.deps.settings.maxInFlightPerKey
    );
  }

  /** Claims and sends batches while in-flight slots are free. True when it sent something. */
  async fill(): Promise<boolean> {
    const { store, settings } = this.deps;
    let sent = false;
    while (
      !this.stopped &&
      this.open.nonceCount < settings.maxInFlightPerKey &&
      Date.now() >= this.holdUntil
    ) {
      const batch =
        this.unsigned.shift() ??
        (await store.claimBatch(this.lease, settings.maxBatchSize, Date.now(), {
          fillWaitMs: settings.batchFillMs,
          funds: this.funds.forClaim(this.promised.perToken, Date.now()),
        }));
      if (batch === undefined) break;
      await this.send(batch);
      sent = true;
    }
    this.deps.stats.inFlight.set(this.address, this.open.nonceCount);
    this.deps.stats.nextNonce.set(this.address, this.nextNonce);
    return sent;
  }

  /** Pre-flight and gas estimate (in parallel), then sign, store, broadcast. */
  private async send(batch: Batch): Promise<void> {
    const { store, chain, stats } = this.deps;
    const total = batch.transfers.reduce((sum, transfer) => sum + transfer.amount, 0n);
    const promised = this.promised.of(batch.token);
    const [preflight, estimate] = await Promise.all([
      chain.preflight(this.address, batch.token, total + promised),
      chain.estimateBatch(this.address, batch.token, batch.transfers),
    ]);
    if (preflight.available !== undefined) this.funds.read(batch.token, preflight.available, Date.now());
    if (!preflight.ok) {
      if (preflight.retryable) {
        // The key cannot pay this batch (balance or allowance short): give the transfers back;
        // the next claim is fitted to the figures just read and leaves out what does not fit.
        // Short twice in a row means the figures move under us: rest a while.
        requireLease(await store.releaseBatch(this.lease, batch.id, Date.now()));
        stats.preflightHolds++;
        this.shortInARow++;
        if (this.shortInARow >= 2) {
          this.holdUntil = Date.now() + this.deps.settings.holdMs;
          this.deps.log.warn(
            { key: this.address, reason: preflight.reason },
            'relayer key cannot pay; holding',
          );
        } else
          this.deps.log.info(
            { key: this.address, reason: preflight.reason },
            'relayer key cannot pay this batch; fitting the next ones to its funds',
          );
        return;
      }
      this.deps.stats.noteSettled(
        requireLease(
          await store.failBatch(
            this.lease,
            batch.id,
            { code: 'ERR_RELAYER_PREFLIGHT', message: preflight.reason },
            Date.now(),
          ),
        ),
        'ERR_RELAYER_PREFLIGHT',
      );
      return;
    }
    this.shortInARow = 0;
    if (!estimate.ok) {
      await this.rejectBatch(batch, `would revert: ${estimate.reason}`);
      return;
    }
    const fees = await this.deps.fees.current();
    const nonce = this.nextNonce;
    const signed = await chain.signBatch(
      this.address,
      nonce,
      fees,
      estimate.gas,
      batch.token,
      batch.transfers,
    );
    const attempt = await store.recordAttempt(
      this.lease,
      {
        keyAddress: this.address,
        nonce,
        kind: 'batch',
        batchId: batch.id,
        raw: signed.raw,
        hash: signed.hash,
        ...fees,
      },
      Date.now(),
    );
    if (attempt === undefined) throw new LeaseLostError(`recordAttempt refused at nonce ${nonce}`);
    this.nextNonce = nonce + 1;
    this.open.add(attempt);
    this.promised.promise(batch.id, batch.token, total);
    stats.noteBatch(batch.transfers.length);
    await this.broadcast(attempt);
  }

  /** A batch that would revert: bisect it, or fail the one transfer left. */
  private async rejectBatch(batch: Batch, reason: string): Promise<void> {
    const { store, stats } = this.deps;
    if (batch.transfers.length > 1) {
      const halves = requireLease(await store.splitBatch(this.lease, batch.id, Date.now()));
      this.unsigned.unshift(...halves);
      stats.bisections++;
      return;
    }
    this.deps.stats.noteSettled(
      requireLease(
        await store.failBatch(
          this.lease,
          batch.id,
          { code: 'ERR_RELAYER_TRANSFER_REVERTED', message: reason },
          Date.now(),
        ),
      ),
      'ERR_RELAYER_TRANSFER_REVERTED',
    );
  }

  /** Sends stored bytes; what the node said decides the attempt's state. Never re-signs. */
  async broadcast(attempt: Attempt): Promise<'accepted' | 'nonce-too-low' | 'rejected'> {
    const result = await this.deps.chain.broadcast(attempt.raw);
    if (result.kind === 'accepted' && attempt.state === 'signed') {
      // False when a concurrent settle got there first; the next write would notice a lost lease.
      await this.deps.store.markSubmitted(this.lease, attempt.id, Date.now());
      this.open.update({ ...attempt, state: 'submitted', submittedAt: Date.now() });
    }
    if (result.kind === 'rejected')
      this.deps.log.warn(
        { key: this.address, nonce: attempt.nonce, reason: result.reason },
        'relayer broadcast refused',
      );
    return result.kind;
  }

  /**
   * Receipts of every open transaction; settles the mined ones that are deep enough
   * (`confirmations`) and bumps the stuck ones. A mined one waiting for depth is not stuck; if a
   * reorg drops it, it has no receipt again and is rebroadcast or bumped like any other.
   */
  async pollReceipts(): Promise<void> {
    const attempts = this.open.all();
    if (attempts.length === 0) return;
    const { receipts, head } = await this.minedState(attempts);
    const now = Date.now();
    for (const group of this.open.groups()) {
      const mined = group.attempts.find((attempt) => receipts.has(attempt.hash));
      if (mined !== undefined) {
        const receipt = receipts.get(mined.hash)!;
        if (deepEnough(receipt, head, this.deps.settings.confirmations)) await this.settle(mined, receipt);
        continue;
      }
      const since = group.newest.submittedAt ?? group.newest.createdAt;
      if (now - since >= this.deps.settings.stuckAfterMs) await this.bump(group.newest);
    }
  }

  /** Receipts of `attempts`, and the chain's head when settling waits for confirmations. */
  async minedState(
    attempts: readonly Attempt[],
  ): Promise<{ receipts: Map<string, ReceiptInfo>; head: number | undefined }> {
    const { chain, settings } = this.deps;
    const [receipts, head] = await Promise.all([
      chain.receipts(attempts.map((attempt) => attempt.hash)),
      settings.confirmations > 1 ? chain.headNumber() : undefined,
    ]);
    return { receipts, head };
  }

  async settle(
    attempt: Attempt,
    receipt: { status: 'success' | 'reverted'; blockNumber: number; blockHash: string },
  ): Promise<void> {
    const { store } = this.deps;
    if (attempt.kind === 'noop') {
      // The no-op took the nonce: whatever batch waited there did not happen; batch it again.
      requireLease(await store.dropNonce(this.lease, attempt.nonce, Date.now()));
      this.forget(attempt);
      return;
    }
    const failure = {
      code: 'ERR_RELAYER_TRANSFER_REVERTED',
      message: `reverted on chain in ${attempt.hash} (block ${receipt.blockNumber})`,
    } as const;
    const settled = requireLease(
      await store.settleAttempt(this.lease, attempt.id, receipt, failure, Date.now()),
    );
    if (receipt.status === 'success') this.spent(attempt);
    this.forget(attempt);
    this.deps.stats.noteSettled(settled, failure.code);
    if (settled.split.length > 0) {
      this.unsigned.unshift(...settled.split);
      this.deps.stats.bisections++;
    }
  }

  /** Re-signs the newest attempt at its nonce with fees at least `feeBumpPercent` higher. */
  async bump(newest: Attempt): Promise<void> {
    const { chain, store, settings, stats } = this.deps;
    const fees = bumpedFees(newest, await this.deps.fees.current(), settings.feeBumpPercent);
    const signed = await chain.resign(this.address, newest.raw, fees);
    const replacement = await store.recordReplacement(
      this.lease,
      newest.id,
      {
        keyAddress: this.address,
        nonce: newest.nonce,
        kind: newest.kind,
        batchId: newest.batchId,
        raw: signed.raw,
        hash: signed.hash,
        ...fees,
      },
      Date.now(),
    );
    if (replacement === undefined)
      throw new LeaseLostError(`recordReplacement refused at nonce ${newest.nonce}`);
    this.trackReplacement(replacement);
    stats.reconcilerActions.fee_bump++;
    await this.broadcast(replacement);
  }

  /** The nonce is settled or dropped: it no longer holds a slot or promises tokens. */
  forget(attempt: Attempt): void {
    this.open.settleNonce(attempt.nonce);
    if (attempt.batchId !== null) this.promised.release(attempt.batchId);
  }

  /** A confirmed batch spent its total: less to fit the next claims into until the next read. */
  private spent(attempt: Attempt): void {
    const promised = attempt.batchId === null ? undefined : this.promised.batch(attempt.batchId);
    if (promised !== undefined) this.funds.spent(promised.token, promised.total);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private logError(err: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5_000) return;
    this.lastErrorLog = now;
    this.deps.log.warn({ err, key: this.address }, 'relayer key worker step failed; retrying');
  }
}
