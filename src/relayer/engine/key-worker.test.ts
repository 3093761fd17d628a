/**
 * The key worker on a real SQLite store and a fake chain: sending, bisection before signing,
 * pre-flight refusals, the fee-bump ladder and a lease lost between claim and signature.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type EngineHarness,
  engineHarness,
  KEY,
  recipient,
  TOKEN,
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

/** Reconcile (as `run` does first), then send what is waiting. */
async function start(worker: KeyWorker): Promise<void> {
  await reconcileKey(worker);
  await worker.fill();
}

describe('KeyWorker', () => {
  it('signs a batch at the next nonce, broadcasts the stored bytes and settles it from the receipt', async () => {
    h = await engineHarness();
    const ids = await h.accept([recipient(1), recipient(2)]);
    const worker = await h.worker();
    await start(worker);
    expect(h.chain.broadcasts).toHaveLength(1);
    const [sent] = h.chain.broadcasts;
    expect(sent?.tx).toMatchObject({ nonce: 1, kind: 'batch', token: TOKEN });
    expect(sent?.tx.transfers.map((transfer) => transfer.to)).toStrictEqual([recipient(1), recipient(2)]);
    expect((await h.transfers(ids)).map((t) => t.state)).toStrictEqual(['submitted', 'submitted']);

    h.chain.mine();
    await worker.pollReceipts();
    const settled = await h.transfers(ids);
    expect(settled.map((t) => [t.state, t.txHash])).toStrictEqual([
      ['confirmed', sent?.tx.hash],
      ['confirmed', sent?.tx.hash],
    ]);
    expect(worker.deps.stats.confirmed).toBe(2);
    expect(worker.idle).toBe(false); // not asleep in run()
  });

  it('bisects a batch whose estimate reverts until the one bad transfer fails alone', async () => {
    h = await engineHarness();
    const recipients = [1, 2, 3, 4].map(recipient);
    h.chain.revertingRecipients.add(recipient(3));
    const ids = await h.accept(recipients);
    const worker = await h.worker();
    await start(worker);
    // 4 → 2 + 2; the bad half 2 → 1 + 1; the bad single fails; three good transfers go out.
    expect(worker.deps.stats.bisections).toBe(2);
    expect(h.chain.signed.batch).toBe(2);
    const carried = h.chain.broadcasts.flatMap((b) => b.tx.transfers.map((transfer) => transfer.to));
    expect(carried.sort()).toStrictEqual([recipient(1), recipient(2), recipient(4)].sort());
    const bad = (await h.transfers(ids))[2];
    expect(bad?.state).toBe('failed');
    expect(bad?.error).toBe(`ERR_RELAYER_TRANSFER_REVERTED: would revert: TransferFailed(${recipient(3)})`);
    expect(bad?.errorCode).toBe('ERR_RELAYER_TRANSFER_REVERTED');
    expect(worker.deps.stats.failed).toBe(1);
  });

  it('fails a batch for good when the token is no ERC-20', async () => {
    h = await engineHarness();
    h.chain.notErc20.add(TOKEN);
    const ids = await h.accept([recipient(1)]);
    const worker = await h.worker();
    await start(worker);
    expect(h.chain.broadcasts).toHaveLength(0);
    const [record] = await h.transfers(ids);
    expect(record?.state).toBe('failed');
    expect(record?.error).toBe(`ERR_RELAYER_PREFLIGHT: token ${TOKEN} did not answer balanceOf/allowance`);
    expect(record?.errorCode).toBe('ERR_RELAYER_PREFLIGHT');
  });

  it('gives a batch the key cannot pay back to the queue, and rests the key the second time', async () => {
    h = await engineHarness();
    h.chain.funds.set(`${KEY}:${TOKEN}`, 3n);
    const ids = await h.accept([recipient(1)], 5n);
    const worker = await h.worker();
    await start(worker);
    expect(worker.deps.stats.preflightHolds).toBe(1);
    expect((await h.transfers(ids))[0]?.state).toBe('accepted');
    // The claim is now fitted to the 3 the key has: a transfer of 5 is beyond it (not claimed).
    await worker.fill();
    expect(worker.deps.stats.preflightHolds).toBe(1);
    expect(h.chain.broadcasts).toHaveLength(0);

    h.chain.funds.set(`${KEY}:${TOKEN}`, 100n);
    vi.setSystemTime(T0 + 11_000); // the funds read is stale: the next claim reads them again
    await worker.fill();
    expect(h.chain.broadcasts).toHaveLength(1);
    expect((await h.transfers(ids))[0]?.state).toBe('submitted');
  });

  it('climbs the fee-bump ladder: each replacement at least feeBumpPercent above the last, or the quote', async () => {
    h = await engineHarness({ feeBumpPercent: 12.5 });
    const ids = await h.accept([recipient(1)]);
    const worker = await h.worker();
    await start(worker);
    const fees = () => h.chain.broadcasts.map((b) => b.tx.fees);
    await worker.pollReceipts();
    expect(fees()).toHaveLength(1); // not stuck yet

    vi.setSystemTime(T0 + 30_000);
    await worker.pollReceipts();
    vi.setSystemTime(T0 + 60_000);
    await worker.pollReceipts();
    h.chain.feeQuote = { maxFeePerGas: 500n, maxPriorityFeePerGas: 11n };
    vi.setSystemTime(T0 + 90_000);
    await worker.pollReceipts();
    // 100/10 → +12.5 % rounded up: 113/12 → 128/14 → the quote's 500 (above 144), 16 (above 11).
    expect(fees()).toStrictEqual([
      { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n },
      { maxFeePerGas: 113n, maxPriorityFeePerGas: 12n },
      { maxFeePerGas: 128n, maxPriorityFeePerGas: 14n },
      { maxFeePerGas: 500n, maxPriorityFeePerGas: 16n },
    ]);
    expect(h.chain.broadcasts.map((b) => [b.tx.nonce, b.result])).toStrictEqual([
      [1, 'accepted'],
      [1, 'accepted'],
      [1, 'accepted'],
      [1, 'accepted'],
    ]);
    expect(h.chain.signed).toStrictEqual({ batch: 1, resign: 3, noop: 0 });
    expect(worker.deps.stats.reconcilerActions.fee_bump).toBe(3);

    h.chain.mine();
    await worker.pollReceipts();
    const last = h.chain.broadcasts[3]?.tx.hash;
    expect((await h.transfers(ids))[0]).toMatchObject({ state: 'confirmed', txHash: last });
    expect(await h.store.openAttempts(worker.lease)).toStrictEqual([]);
  });

  it('stops at a lost lease between claim and signature; the new holder sends the batch once', async () => {
    h = await engineHarness({ leaseMs: 1_000 });
    const ids = await h.accept([recipient(1), recipient(2)]);
    const first = await h.worker('process-a');
    h.chain.beforeSign = async () => {
      h.chain.beforeSign = undefined;
      // process-a paused past its lease; process-b takes the key (fencing token + 1).
      vi.setSystemTime(T0 + 2_000);
      await h.store.acquireKey(KEY, 'process-b', 60_000, Date.now());
    };
    await first.run(); // returns only once stopped
    expect(first.lost).toBe(true);
    expect(h.chain.signed.batch).toBe(1);
    expect(h.chain.broadcasts).toHaveLength(0);
    expect((await h.transfers(ids)).map((t) => t.state)).toStrictEqual(['batched', 'batched']);

    const second = await h.worker('process-b');
    expect(second.lease.fencingToken).toBe(first.lease.fencingToken + 1);
    await start(second);
    h.chain.mine();
    await second.pollReceipts();
    expect(h.chain.signed.batch).toBe(2);
    expect(h.chain.broadcasts).toHaveLength(1);
    expect(h.chain.broadcasts[0]?.tx.nonce).toBe(1);
    const records = await h.transfers(ids);
    expect(records.map((t) => [t.state, t.txHash])).toStrictEqual([
      ['confirmed', h.chain.broadcasts[0]?.tx.hash],
      ['confirmed', h.chain.broadcasts[0]?.tx.hash],
    ]);
    // The stale worker can write nothing more.
    await expect(first.fill()).resolves.toBe(false);
  });

  // A key with no transaction on chain (pending nonce 0) had no stored nonce, so its first
  // attempt was refused as if the lease were lost; reconcile now records the chain's 0.
  it('sends the first batch of a key that never sent a transaction', async () => {
    h = await engineHarness({ fresh: true });
    await h.accept([recipient(1)]);
    const worker = await h.worker();
    await start(worker);
    expect(h.chain.broadcasts.map((b) => b.tx.nonce)).toStrictEqual([0]);
  });
});
