/**
 * The reconciler: compares one key's chain nonce and receipts with the store and repairs the
 * difference. It runs when a process takes a key's lease (after a crash, nothing in memory is
 * trusted) and every `reconcileMs`.
 *
 *  - nonce: the store's next nonce rises to the chain's pending nonce when something else used
 *    the key; it never falls (that would sign a second transaction at a used nonce);
 *  - a receipt for any attempt at a nonce settles it (confirmed, or reverted and bisected) once
 *    it is `confirmations` blocks deep; until then it is left to the receipt poll;
 *  - a nonce the chain has passed with no receipt for any of our attempts (seen so for
 *    `dropAfterMs`) was taken by another transaction: its batch goes back to the queue;
 *  - otherwise the stored bytes are broadcast again (never re-signed), and a nonce whose
 *    bytes nodes keep refusing is filled with a no-op so the key's later nonces can move.
 */
import type { Logger } from '../../logging/logger.js';
import { deepEnough, type ReceiptInfo, type RelayerChain } from '../chains/chain.js';
import type { Attempt, Batch, KeyLease } from '../model.js';
import type { RelayerStore } from '../relayer-store.js';
import type { EngineSettings } from './engine-settings.js';
import type { EngineStats } from './engine-stats.js';
import type { FeeOracle } from './fee-oracle.js';
import { LeaseLostError, requireLease } from './lease-lost.js';

/** What the reconciler needs of a key worker (key-worker.ts), named here so neither file imports the other. */
export interface ReconciledKey {
  readonly address: string;
  readonly lease: KeyLease;
  readonly deps: {
    readonly store: RelayerStore;
    readonly chain: RelayerChain;
    readonly fees: FeeOracle;
    readonly stats: EngineStats;
    readonly log: Logger;
    readonly settings: EngineSettings;
  };
  /** Takes the store's open attempts and unsigned batches; returns the next nonce known. */
  adoptReconciled(open: readonly Attempt[], unsigned: readonly Batch[]): number;
  syncNonce(next: number): void;
  openGroups(): readonly { nonce: number; attempts: readonly Attempt[]; newest: Attempt }[];
  trackReplacement(attempt: Attempt): void;
  broadcast(attempt: Attempt): Promise<'accepted' | 'nonce-too-low' | 'rejected'>;
  minedState(
    attempts: readonly Attempt[],
  ): Promise<{ receipts: Map<string, ReceiptInfo>; head: number | undefined }>;
  settle(attempt: Attempt, receipt: ReceiptInfo): Promise<void>;
  forget(attempt: Attempt): void;
}

/** First time each nonce was seen passed by the chain without a receipt, per key. */
const passedSince = new WeakMap<ReconciledKey, Map<number, number>>();
/** Consecutive refused rebroadcasts, per key and nonce. */
const refusals = new WeakMap<ReconciledKey, Map<number, number>>();

export async function reconcileKey(worker: ReconciledKey): Promise<void> {
  const { store, chain, stats, settings } = worker.deps;
  const [nonces, open, unsigned] = await Promise.all([
    chain.nonces(worker.address),
    store.openAttempts(worker.lease),
    store.unsignedBatches(worker.lease),
  ]);
  const stored = worker.adoptReconciled(open, unsigned);
  // A key that never sent has no stored nonce yet: record the chain's (0), or its first
  // attempt would be refused as if the lease were lost.
  if (stored < nonces.pending || worker.lease.nextNonce === null) {
    requireLease(await store.setNextNonce(worker.lease, nonces.pending));
    worker.syncNonce(nonces.pending);
    stats.reconcilerActions.nonce_synced++;
  } else {
    worker.syncNonce(stored);
  }

  if (open.length === 0) return;
  const { receipts, head } = await worker.minedState(open);
  const passed = mapFor(passedSince, worker);
  const refused = mapFor(refusals, worker);
  const now = Date.now();
  for (const group of worker.openGroups()) {
    const mined = group.attempts.find((attempt) => receipts.has(attempt.hash));
    if (mined !== undefined) {
      const receipt = receipts.get(mined.hash);
      // Mined but not yet deep enough: the receipt poll settles it later (or a reorg drops it).
      if (receipt === undefined || !deepEnough(receipt, head, settings.confirmations)) continue;
      await worker.settle(mined, receipt);
      stats.reconcilerActions[receipt.status === 'success' ? 'confirmed' : 'failed']++;
      passed.delete(group.nonce);
      refused.delete(group.nonce);
      continue;
    }
    if (group.nonce < nonces.latest) {
      const since = passed.get(group.nonce);
      if (since === undefined) passed.set(group.nonce, now);
      else if (now - since >= settings.dropAfterMs) {
        requireLease(await store.dropNonce(worker.lease, group.nonce, now));
        worker.forget(group.newest);
        passed.delete(group.nonce);
        stats.reconcilerActions.dropped++;
        worker.deps.log.warn(
          { key: worker.address, nonce: group.nonce },
          'relayer nonce taken by another transaction; batch requeued',
        );
      }
      continue;
    }
    await rebroadcast(worker, group.newest, refused);
  }
}

async function rebroadcast(
  worker: ReconciledKey,
  newest: Attempt,
  refused: Map<number, number>,
): Promise<void> {
  const { stats, settings } = worker.deps;
  const outcome = await worker.broadcast(newest);
  stats.reconcilerActions.resubmitted++;
  if (outcome !== 'rejected') {
    refused.delete(newest.nonce);
    return;
  }
  const count = (refused.get(newest.nonce) ?? 0) + 1;
  refused.set(newest.nonce, count);
  if (count < settings.noopAfterRejections || newest.kind === 'noop') return;
  await fillWithNoop(worker, newest);
  refused.delete(newest.nonce);
}

/** Replaces bytes no node will take with a no-op at the same nonce; the batch is requeued when it is mined. */
async function fillWithNoop(worker: ReconciledKey, stuck: Attempt): Promise<void> {
  const { store, chain, stats, settings } = worker.deps;
  const current = await worker.deps.fees.current();
  const fees = {
    maxFeePerGas: bump(stuck.maxFeePerGas, current.maxFeePerGas, settings.feeBumpPercent),
    maxPriorityFeePerGas: bump(
      stuck.maxPriorityFeePerGas,
      current.maxPriorityFeePerGas,
      settings.feeBumpPercent,
    ),
  };
  const signed = await chain.signNoop(worker.address, stuck.nonce, fees);
  const noop = await store.recordReplacement(
    worker.lease,
    stuck.id,
    {
      keyAddress: worker.address,
      nonce: stuck.nonce,
      kind: 'noop',
      batchId: stuck.batchId,
      raw: signed.raw,
      hash: signed.hash,
      ...fees,
    },
    Date.now(),
  );
  if (noop === undefined) throw new LeaseLostError(`no-op at nonce ${stuck.nonce} refused`);
  worker.trackReplacement(noop);
  stats.nonceGaps++;
  stats.reconcilerActions.noop++;
  worker.deps.log.warn(
    { key: worker.address, nonce: stuck.nonce, code: 'ERR_RELAYER_NONCE_GAP' },
    'relayer filled a nonce with a no-op; its batch will be sent again',
  );
  await worker.broadcast(noop);
}

function bump(old: bigint, current: bigint, percent: number): bigint {
  const raised = old + (old * BigInt(Math.ceil(percent * 100)) + 9_999n) / 10_000n;
  return raised > current ? raised : current;
}

function mapFor<K extends object, V>(maps: WeakMap<K, Map<number, V>>, owner: K): Map<number, V> {
  let map = maps.get(owner);
  if (map === undefined) {
    map = new Map();
    maps.set(owner, map);
  }
  return map;
}
