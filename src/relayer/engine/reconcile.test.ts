/**
 * Every decision of the reconciler (reconcile.ts), after a crash or a lost broadcast, on a real
 * SQLite store and a fake chain: nonce sync (up, never down), settle from a receipt (deep
 * enough only), bisection of a batch reverted on chain, a nonce taken by another transaction,
 * rebroadcast of the stored bytes, a no-op for bytes nodes keep refusing, unsigned batches resumed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type EngineHarness,
  engineHarness,
  KEY,
  recipient,
} from '../../../test/support/relayer-engine-harness.js';
import type { KeyWorker } from './key-worker.js';
import { reconcileKey } from './reconcile.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

let h: EngineHarness;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});

afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
});

async function start(worker: KeyWorker): Promise<void> {
  await reconcileKey(worker);
  await worker.fill();
}

/** Process A sends `recipients` in one batch and crashes; process B takes the expired lease. */
async function crashAfterSend(recipients: readonly string[]): Promise<{ ids: string[]; next: KeyWorker }> {
  const ids = await h.accept(recipients);
  await start(await h.worker('process-a'));
  vi.setSystemTime(Date.now() + h.settings.leaseMs + 1);
  return { ids, next: await h.worker('process-b') };
}

const actions = (worker: KeyWorker) => worker.deps.stats.reconcilerActions;

describe('reconcileKey', () => {
  it('raises the next nonce to the chain pending nonce when something else used the key', async () => {
    h = await engineHarness();
    h.chain.foreignTransaction(KEY);
    h.chain.foreignTransaction(KEY);
    await h.accept([recipient(1)]);
    const worker = await h.worker();
    await start(worker);
    expect(actions(worker).nonce_synced).toBe(1);
    expect(h.chain.broadcasts.map((b) => b.tx.nonce)).toStrictEqual([3]);
    expect((await h.store.renewKey(worker.lease, 60_000, Date.now()))?.nextNonce).toBe(4);
  });

  it('never lowers the next nonce below the stored one (that would sign twice at a used nonce)', async () => {
    h = await engineHarness();
    const first = await h.worker();
    expect(await h.store.setNextNonce(first.lease, 7)).toBe(true);
    await h.accept([recipient(1)]);
    const worker = await h.worker(); // same owner: the lease now carries nextNonce 7
    await start(worker);
    expect(actions(worker).nonce_synced).toBe(0);
    expect(h.chain.broadcasts.map((b) => b.tx.nonce)).toStrictEqual([7]);
  });

  it('settles a transaction mined while its sender was down', async () => {
    h = await engineHarness({ leaseMs: 1_000 });
    const ids = await h.accept([recipient(1), recipient(2)]);
    const first = await h.worker('process-a');
    await start(first);
    h.chain.mine();
    vi.setSystemTime(T0 + 2_000);
    const next = await h.worker('process-b');
    await reconcileKey(next);
    expect(actions(next).confirmed).toBe(1);
    expect(next.deps.stats.confirmed).toBe(2);
    const hash = h.chain.broadcasts[0]?.tx.hash;
    expect((await h.transfers(ids)).map((t) => [t.state, t.txHash])).toStrictEqual([
      ['confirmed', hash],
      ['confirmed', hash],
    ]);
    expect(h.chain.broadcasts).toHaveLength(1); // nothing sent again
  });

  it('leaves a mined transaction until it is `confirmations` blocks deep', async () => {
    h = await engineHarness({ leaseMs: 1_000, confirmations: 3 });
    const { ids, next } = await crashAfterSend([recipient(1)]);
    h.chain.mine();
    await reconcileKey(next);
    expect(actions(next).confirmed).toBe(0);
    expect((await h.transfers(ids))[0]?.state).toBe('submitted');
    expect(h.chain.broadcasts).toHaveLength(1); // mined: neither rebroadcast nor dropped
    h.chain.advance(2);
    await reconcileKey(next);
    expect(actions(next).confirmed).toBe(1);
    expect((await h.transfers(ids))[0]?.state).toBe('confirmed');
  });

  it('bisects a batch reverted on chain and fails only the transfer that reverts', async () => {
    h = await engineHarness({ leaseMs: 1_000 });
    h.chain.revertOnChain.add(recipient(2));
    const { ids, next } = await crashAfterSend([recipient(1), recipient(2)]);
    h.chain.mine();
    await reconcileKey(next);
    expect(actions(next).failed).toBe(1);
    expect(next.deps.stats.bisections).toBe(1);
    expect((await h.transfers(ids)).map((t) => t.state)).toStrictEqual(['batched', 'batched']);

    await next.fill(); // the two halves, at the next two nonces
    expect(h.chain.broadcasts.slice(1).map((b) => [b.tx.nonce, b.tx.transfers.length])).toStrictEqual([
      [2, 1],
      [3, 1],
    ]);
    h.chain.mine();
    await next.pollReceipts();
    const [good, bad] = await h.transfers(ids);
    expect(good?.state).toBe('confirmed');
    const badTx = h.chain.broadcasts.find((b) => b.tx.transfers[0]?.to === recipient(2))?.tx;
    expect(bad).toMatchObject({
      state: 'failed',
      error: `ERR_RELAYER_TRANSFER_REVERTED: reverted on chain in ${badTx?.hash} (block ${h.chain.head})`,
      errorCode: 'ERR_RELAYER_TRANSFER_REVERTED',
    });
  });

  it('requeues the batch of a nonce another transaction took, only after dropAfterMs', async () => {
    h = await engineHarness({ leaseMs: 1_000, dropAfterMs: 5_000 });
    const { ids, next } = await crashAfterSend([recipient(1)]);
    h.chain.dropMempool();
    h.chain.foreignTransaction(KEY); // nonce 1 now holds someone else's transaction
    await reconcileKey(next);
    expect(actions(next).dropped).toBe(0); // a lagging node may not have our receipt yet
    expect((await h.transfers(ids))[0]?.state).toBe('submitted');

    vi.setSystemTime(Date.now() + 4_999);
    await reconcileKey(next);
    expect(actions(next).dropped).toBe(0);
    vi.setSystemTime(Date.now() + 1);
    await reconcileKey(next);
    expect(actions(next).dropped).toBe(1);
    expect((await h.transfers(ids))[0]).toMatchObject({ state: 'accepted', txHash: null });

    await next.fill();
    h.chain.mine();
    await next.pollReceipts();
    const resent = h.chain.broadcasts[1]?.tx;
    expect(resent?.nonce).toBe(2);
    expect((await h.transfers(ids))[0]).toMatchObject({ state: 'confirmed', txHash: resent?.hash });
  });

  it('rebroadcasts the stored bytes, never re-signed, when the node lost or never took them', async () => {
    h = await engineHarness({ leaseMs: 1_000 });
    h.chain.refuse = { kind: 'any', reason: 'connection reset' }; // A's broadcast never lands
    const { ids, next } = await crashAfterSend([recipient(1)]);
    expect((await h.transfers(ids))[0]?.state).toBe('signed');
    h.chain.refuse = undefined;
    await reconcileKey(next);
    expect(actions(next).resubmitted).toBe(1);
    const [original, again] = h.chain.broadcasts;
    expect(again?.tx.raw).toBe(original?.tx.raw);
    expect(again?.result).toBe('accepted');
    expect(h.chain.signed).toStrictEqual({ batch: 1, resign: 0, noop: 0 });
    expect((await h.transfers(ids))[0]?.state).toBe('submitted');

    h.chain.dropMempool(); // the node forgets it: sent once more, same bytes
    await reconcileKey(next);
    expect(h.chain.broadcasts.map((b) => b.tx.raw)).toStrictEqual([
      original?.tx.raw,
      original?.tx.raw,
      original?.tx.raw,
    ]);
    h.chain.mine();
    await next.pollReceipts();
    expect((await h.transfers(ids))[0]?.state).toBe('confirmed');
  });

  it('fills a nonce whose bytes nodes keep refusing with a no-op, then sends the batch again', async () => {
    h = await engineHarness({ leaseMs: 1_000, noopAfterRejections: 3 });
    h.chain.refuse = { kind: 'batch', reason: 'insufficient funds for gas * price + value' };
    const { ids, next } = await crashAfterSend([recipient(1)]);
    await reconcileKey(next);
    await reconcileKey(next);
    expect(h.chain.signed.noop).toBe(0);
    await reconcileKey(next); // third refused rebroadcast
    expect(h.chain.signed.noop).toBe(1);
    expect(next.deps.stats.nonceGaps).toBe(1);
    expect(actions(next).noop).toBe(1);
    const noop = h.chain.broadcasts.at(-1);
    expect(noop?.tx).toMatchObject({
      kind: 'noop',
      nonce: 1,
      fees: { maxFeePerGas: 110n, maxPriorityFeePerGas: 11n },
    });
    expect(noop?.result).toBe('accepted');

    h.chain.mine();
    await next.pollReceipts(); // the no-op took nonce 1: the batch goes back to the queue
    expect((await h.transfers(ids))[0]).toMatchObject({ state: 'accepted', txHash: null });
    h.chain.refuse = undefined;
    await next.fill();
    h.chain.mine();
    await next.pollReceipts();
    const resent = h.chain.broadcasts.at(-1)?.tx;
    expect(resent).toMatchObject({ kind: 'batch', nonce: 2 });
    expect((await h.transfers(ids))[0]).toMatchObject({ state: 'confirmed', txHash: resent?.hash });
  });

  it('resumes a batch claimed but never signed before a crash, exactly once', async () => {
    h = await engineHarness({ leaseMs: 1_000 });
    const ids = await h.accept([recipient(1), recipient(2)]);
    const first = await h.worker('process-a');
    h.chain.beforeSign = async () => {
      throw new Error('process-a crashed');
    };
    await reconcileKey(first);
    await expect(first.fill()).rejects.toThrow('process-a crashed');
    const [claimed] = await h.transfers(ids);
    expect(claimed?.state).toBe('batched');
    h.chain.beforeSign = undefined;

    vi.setSystemTime(T0 + 2_000);
    const next = await h.worker('process-b');
    await start(next);
    expect(h.chain.broadcasts).toHaveLength(1);
    expect(h.chain.broadcasts[0]?.tx.transfers.map((t) => t.id)).toStrictEqual(ids);
    const records = await h.transfers(ids);
    expect(records.map((t) => [t.state, t.batchId])).toStrictEqual([
      ['submitted', claimed?.batchId],
      ['submitted', claimed?.batchId],
    ]);
  });
});
