/**
 * The one conformance suite of RelayerStore: every implementation must pass it unchanged.
 * Times are passed in explicitly (the interface takes `now`), so leases and webhooks are exact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AcceptRequest,
  Batch,
  KeyLease,
  NewAttempt,
  TransferInput,
  TransferState,
} from '../../src/relayer/model.js';
import type { RelayerStore } from '../../src/relayer/relayer-store.js';
import type { TransferFailure } from '../../src/relayer/transfer-failure.js';

export interface RelayerStoreHarness {
  readonly store: RelayerStore;
  drop(): Promise<void>;
}

/** Opens a fresh, empty store. */
export type OpenRelayerStore = (options: { webhooks: boolean }) => Promise<RelayerStoreHarness>;

const T0 = Date.UTC(2024, 2, 20, 12, 0, 0);
/** The failure a settle stores should the outcome be a revert of a batch of one. */
const REVERT: TransferFailure = { code: 'ERR_RELAYER_TRANSFER_REVERTED', message: 'reverted' };
const UNFUNDED: TransferFailure = { code: 'ERR_RELAYER_INSUFFICIENT_FUNDS', message: 'no key could pay it' };
const LEASE_MS = 30_000;
const TOKEN_A = `0x${'a'.repeat(40)}`;
const TOKEN_B = `0x${'b'.repeat(40)}`;
const KEY_1 = `0x${'1'.repeat(40)}`;
const KEY_2 = `0x${'2'.repeat(40)}`;
/** Beyond 2^53: amounts must survive as exact integers. */
const BIG_AMOUNT = 123_456_789_012_345_678_901_234_567_890n;

let hashes = 0;
function nextHash(): string {
  hashes += 1;
  return `0x${hashes.toString(16).padStart(64, '0')}`;
}

function recipient(i: number): string {
  return `0x${i.toString(16).padStart(40, '0')}`;
}

function transfer(i: number, token = TOKEN_A): TransferInput {
  return { token, to: recipient(i), amount: BigInt(i + 1) };
}

function request(key: string, transfers: readonly TransferInput[], fields: Partial<AcceptRequest> = {}) {
  return {
    projectId: 'prj_acme',
    idempotencyKey: key,
    requestHash: `hash-of-${key}`,
    transfers,
    ...fields,
  } satisfies AcceptRequest;
}

function attemptFor(lease: KeyLease, batch: Batch | null, nonce: number, fee = 100n): NewAttempt {
  return {
    keyAddress: lease.address,
    nonce,
    kind: batch === null ? 'noop' : 'batch',
    batchId: batch?.id ?? null,
    raw: `0x02f8${nonce.toString(16)}`,
    hash: nextHash(),
    maxFeePerGas: fee,
    maxPriorityFeePerGas: fee / 10n,
  };
}

const SUCCESS = { status: 'success', blockNumber: 1234, blockHash: `0x${'c'.repeat(64)}` } as const;
const REVERTED = { status: 'reverted', blockNumber: 1235, blockHash: `0x${'d'.repeat(64)}` } as const;

export function describeRelayerStore(name: string, open: OpenRelayerStore): void {
  describe(name, () => {
    let harness: RelayerStoreHarness;
    let store: RelayerStore;

    beforeEach(async () => {
      harness = await open({ webhooks: true });
      store = harness.store;
    });

    afterEach(async () => {
      await harness.drop();
    });

    /** Accepts `count` transfers of TOKEN_A, one request each; returns their ids in order. */
    async function acceptSome(count: number, token = TOKEN_A, now = T0): Promise<string[]> {
      const results = await store.acceptMany(
        Array.from({ length: count }, (_, i) => request(`k-${token}-${now}-${i}`, [transfer(i, token)])),
        now,
      );
      return results.map((result) => (result.kind === 'created' ? result.ids[0]! : ''));
    }

    /** A registered key leased to `owner`, synced at nonce 0. */
    async function lease(owner = 'process-1', address = KEY_1): Promise<KeyLease> {
      await store.registerKeys([address]);
      const taken = await store.acquireKey(address, owner, LEASE_MS, T0);
      expect(taken).toBeDefined();
      expect(await store.setNextNonce(taken!, 0)).toBe(true);
      return (await store.renewKey(taken!, LEASE_MS, T0))!;
    }

    async function states(ids: readonly string[]): Promise<(TransferState | undefined)[]> {
      return Promise.all(ids.map(async (id) => (await store.getTransfer(id))?.state));
    }

    describe('intake', () => {
      it('stores a request, replays the same key and body, refuses another body', async () => {
        const body = [
          { token: TOKEN_A, to: recipient(1), amount: BIG_AMOUNT, memo: 'payout #1' },
          transfer(2),
        ];
        const [created] = await store.acceptMany([request('order-1', body)], T0);
        expect(created?.kind).toBe('created');
        if (created?.kind !== 'created') return;
        expect(created.ids).toHaveLength(2);
        expect(created.ids[0]).toMatch(/^tr_[0-9A-Za-z]{20}$/);
        expect(created.requestId).toMatch(/^rq_[0-9A-Za-z]{20}$/);

        const first = await store.getTransfer(created.ids[0]!);
        expect(first).toStrictEqual({
          id: created.ids[0],
          requestId: created.requestId,
          projectId: 'prj_acme',
          token: TOKEN_A,
          to: recipient(1),
          amount: BIG_AMOUNT,
          memo: 'payout #1',
          state: 'accepted',
          error: null,
          errorCode: null,
          batchId: null,
          txHash: null,
          blockNumber: null,
          createdAt: T0,
          updatedAt: T0,
        });
        expect((await store.getRequestTransfers(created.requestId)).map((t) => t.id)).toStrictEqual(
          created.ids,
        );
        expect(await store.getTransfer('tr_missing')).toBeUndefined();

        const [replay, conflict] = await store.acceptMany(
          [request('order-1', body), request('order-1', [transfer(9)], { requestHash: 'other' })],
          T0 + 1,
        );
        expect(replay).toStrictEqual({ kind: 'replay', requestId: created.requestId, ids: created.ids });
        expect(conflict).toStrictEqual({ kind: 'conflict' });
        expect(await store.countOpen()).toBe(2);
      });

      it('two requests with one key in one call: the first decides', async () => {
        const results = await store.acceptMany(
          [
            request('dup', [transfer(1)]),
            request('dup', [transfer(1)]),
            request('dup', [transfer(2)], { requestHash: 'another body' }),
            request('solo', [transfer(3)]),
          ],
          T0,
        );
        expect(results.map((r) => r.kind)).toStrictEqual(['created', 'replay', 'conflict', 'created']);
        const [first, second] = results;
        if (first?.kind !== 'created' || second?.kind !== 'replay') throw new Error('unexpected');
        expect(second.ids).toStrictEqual(first.ids);
        expect(second.requestId).toBe(first.requestId);
        expect(await store.countOpen()).toBe(2);
      });

      it('keys are scoped to the project; keyless requests share one scope', async () => {
        const results = await store.acceptMany(
          [
            request('same-key', [transfer(1)], { projectId: null }),
            request('same-key', [transfer(1)], { projectId: 'prj_other' }),
            request('same-key', [transfer(1)]),
          ],
          T0,
        );
        expect(results.map((r) => r.kind)).toStrictEqual(['created', 'created', 'created']);
        const again = await store.acceptMany(
          [
            request('same-key', [transfer(1)], { projectId: null }),
            request('same-key', [transfer(5)], { projectId: null, requestHash: 'changed' }),
          ],
          T0 + 1,
        );
        expect(again.map((r) => r.kind)).toStrictEqual(['replay', 'conflict']);
        const first = results[0];
        if (first?.kind !== 'created' || again[0]?.kind !== 'replay') throw new Error('unexpected');
        expect(again[0].ids).toStrictEqual(first.ids);
        expect(await store.countOpen()).toBe(3);
        const keyless = await store.listTransfers({ projectId: null, limit: 10 });
        expect(keyless.map((t) => t.id)).toStrictEqual(first.ids);
      });

      it('stores 2,000 transfers in one call', async () => {
        const requests = Array.from({ length: 500 }, (_, i) =>
          request(`bulk-${i}`, [
            transfer(4 * i),
            transfer(4 * i + 1),
            transfer(4 * i + 2),
            transfer(4 * i + 3),
          ]),
        );
        const started = performance.now();
        const results = await store.acceptMany(requests, T0);
        const elapsed = performance.now() - started;
        expect(results.every((r) => r.kind === 'created')).toBe(true);
        expect(await store.countOpen()).toBe(2_000);
        // "A few thousand per second": generous, so a busy CI machine does not flake.
        expect(elapsed).toBeLessThan(3_000);
        const single = await store.acceptMany(
          [
            request(
              'one-big',
              Array.from({ length: 2_000 }, (_, i) => transfer(i)),
            ),
          ],
          T0,
        );
        expect(single[0]?.kind).toBe('created');
        if (single[0]?.kind !== 'created') return;
        const stored = await store.getRequestTransfers(single[0].requestId);
        expect(stored.map((t) => t.id)).toStrictEqual(single[0].ids);
        expect(stored[1_999]?.amount).toBe(2_000n);
        const replayed = await store.acceptMany(requests, T0 + 1);
        expect(replayed.every((r) => r.kind === 'replay')).toBe(true);
        expect(replayed.map((r) => (r.kind === 'replay' ? r.ids : []))).toStrictEqual(
          results.map((r) => (r.kind === 'created' ? r.ids : [])),
        );
        expect((await store.countByState()).accepted).toBe(4_000);
        // FIFO follows the order of the call, not the order of the keys ('bulk-10' < 'bulk-2').
        const batch = (await store.claimBatch(await lease(), 60, T0 + 2))!;
        expect(batch.transfers.map((t) => t.id)).toStrictEqual(
          results.slice(0, 15).flatMap((r) => (r.kind === 'created' ? r.ids : [])),
        );
      });

      it('lists newest first, by project and state, in pages; counts every state', async () => {
        const ids = await acceptSome(5);
        const [other] = await store.acceptMany(
          [request('other', [transfer(9)], { projectId: 'prj_other' })],
          T0,
        );
        if (other?.kind !== 'created') throw new Error('not stored');
        const page1 = await store.listTransfers({ projectId: 'prj_acme', limit: 3 });
        expect(page1.map((t) => t.id)).toStrictEqual([ids[4], ids[3], ids[2]]);
        const page2 = await store.listTransfers({ projectId: 'prj_acme', before: ids[2]!, limit: 3 });
        expect(page2.map((t) => t.id)).toStrictEqual([ids[1], ids[0]]);
        expect(await store.listTransfers({ limit: 10 })).toHaveLength(6);
        expect(await store.listTransfers({ state: 'confirmed', limit: 10 })).toHaveLength(0);
        expect(await store.countByState()).toStrictEqual({
          accepted: 6,
          batched: 0,
          signed: 0,
          submitted: 0,
          confirmed: 0,
          failed: 0,
        });
        const key = await lease();
        // One each: the two projects share the batch.
        await store.claimBatch(key, 2, T0);
        expect((await store.listTransfers({ state: 'batched', limit: 10 })).map((t) => t.id)).toStrictEqual([
          other.ids[0],
          ids[0],
        ]);
        expect(await store.countByState()).toMatchObject({ accepted: 4, batched: 2 });
        expect(await store.countOpen()).toBe(6);
      });
    });

    describe('keys and leases', () => {
      it('one owner at a time; expiry lets another take it with a newer fencing token', async () => {
        await store.registerKeys([KEY_1, KEY_1]);
        expect(await store.acquireKey(KEY_2, 'p1', LEASE_MS, T0)).toBeUndefined();
        const first = await store.acquireKey(KEY_1, 'p1', LEASE_MS, T0);
        expect(first).toMatchObject({
          address: KEY_1,
          owner: 'p1',
          expiresAt: T0 + LEASE_MS,
          nextNonce: null,
        });
        expect(await store.acquireKey(KEY_1, 'p2', LEASE_MS, T0 + 1)).toBeUndefined();
        const again = await store.acquireKey(KEY_1, 'p1', LEASE_MS, T0 + 2);
        expect(again?.fencingToken).toBe(first!.fencingToken);
        const renewed = await store.renewKey(first!, LEASE_MS, T0 + 10_000);
        expect(renewed?.expiresAt).toBe(T0 + 10_000 + LEASE_MS);

        const taken = await store.acquireKey(KEY_1, 'p2', LEASE_MS, T0 + 10_000 + LEASE_MS);
        expect(taken?.fencingToken).toBe(first!.fencingToken + 1);
        expect(await store.renewKey(first!, LEASE_MS, T0 + 50_000)).toBeUndefined();
        expect(await store.setNextNonce(first!, 7)).toBe(false);
        expect(await store.setNextNonce(taken!, 7)).toBe(true);

        // Registering again never resets a known key.
        await store.registerKeys([KEY_1]);
        expect((await store.renewKey(taken!, LEASE_MS, T0 + 50_000))?.nextNonce).toBe(7);

        await store.releaseKey(first!); // stale: changes nothing
        expect(await store.acquireKey(KEY_1, 'p3', LEASE_MS, T0 + 50_001)).toBeUndefined();
        await store.releaseKey(taken!);
        const third = await store.acquireKey(KEY_1, 'p3', LEASE_MS, T0 + 50_002);
        expect(third?.fencingToken).toBe(taken!.fencingToken + 1);
        expect(third?.nextNonce).toBe(7);
      });

      it('a stale lease can no longer claim, sign, submit, settle or drop', async () => {
        await acceptSome(4);
        const stale = await lease('p1');
        const batch = (await store.claimBatch(stale, 2, T0))!;
        const attempt = (await store.recordAttempt(stale, attemptFor(stale, batch, 0), T0))!;
        expect(attempt).toBeDefined();

        // p1 pauses past its lease; p2 takes the key over.
        const fresh = (await store.acquireKey(KEY_1, 'p2', LEASE_MS, T0 + LEASE_MS + 1))!;
        expect(fresh.fencingToken).toBeGreaterThan(stale.fencingToken);
        expect(fresh.nextNonce).toBe(1);

        expect(await store.claimBatch(stale, 2, T0)).toBeUndefined();
        expect(await store.recordAttempt(stale, attemptFor(stale, null, 1), T0)).toBeUndefined();
        expect(
          await store.recordReplacement(stale, attempt.id, attemptFor(stale, batch, 0, 200n), T0),
        ).toBeUndefined();
        expect(await store.markSubmitted(stale, attempt.id, T0)).toBe(false);
        expect(await store.settleAttempt(stale, attempt.id, SUCCESS, REVERT, T0)).toBeUndefined();
        expect(await store.dropNonce(stale, 0, T0)).toBe(false);
        expect(await store.openAttempts(stale)).toStrictEqual([]);
        expect(await store.unsignedBatches(stale)).toStrictEqual([]);
        expect(
          await store.failBatch(stale, batch.id, { code: 'ERR_RELAYER_PREFLIGHT', message: 'x' }, T0),
        ).toBeUndefined();
        expect(await store.releaseBatch(stale, batch.id, T0)).toBe(false);

        // The new holder sees the attempt and settles it.
        expect((await store.openAttempts(fresh)).map((a) => a.id)).toStrictEqual([attempt.id]);
        expect(await store.markSubmitted(fresh, attempt.id, T0 + 1)).toBe(true);
        const settled = await store.settleAttempt(fresh, attempt.id, SUCCESS, REVERT, T0 + 2);
        expect(settled?.confirmed.map((t) => t.id)).toStrictEqual(batch.transfers.map((t) => t.id));
        expect((await store.claimBatch(fresh, 5, T0 + 3))?.transfers).toHaveLength(2);
      });
    });

    describe('batches', () => {
      it('claims the oldest transfers of the oldest token, FIFO, up to maxSize', async () => {
        const a1 = await acceptSome(2, TOKEN_A, T0);
        const b1 = await acceptSome(2, TOKEN_B, T0 + 1);
        const a2 = await acceptSome(3, TOKEN_A, T0 + 2);
        const key = await lease();
        const first = (await store.claimBatch(key, 4, T0 + 10))!;
        expect(first.id).toMatch(/^bt_[0-9A-Za-z]{20}$/);
        expect(first).toMatchObject({
          keyAddress: KEY_1,
          token: TOKEN_A,
          state: 'batched',
          createdAt: T0 + 10,
        });
        expect(first.transfers.map((t) => t.id)).toStrictEqual([...a1, a2[0], a2[1]]);
        expect(first.transfers[0]).toStrictEqual({ id: a1[0], to: recipient(0), amount: 1n });
        expect(await states(first.transfers.map((t) => t.id))).toStrictEqual(Array(4).fill('batched'));
        expect((await store.getTransfer(a1[0]!))?.batchId).toBe(first.id);

        const second = (await store.claimBatch(key, 4, T0 + 11))!;
        expect(second.token).toBe(TOKEN_B);
        expect(second.transfers.map((t) => t.id)).toStrictEqual(b1);
        const third = (await store.claimBatch(key, 4, T0 + 12))!;
        expect(third.transfers.map((t) => t.id)).toStrictEqual([a2[2]]);
        expect(await store.claimBatch(key, 4, T0 + 13)).toBeUndefined();

        expect((await store.unsignedBatches(key)).map((b) => [b.id, b.transfers.length])).toStrictEqual([
          [first.id, 4],
          [second.id, 2],
          [third.id, 1],
        ]);
      });

      it('with a fill wait, claims a partial batch only once its oldest transfer has waited that long', async () => {
        const ids = await acceptSome(3, TOKEN_A, T0);
        const key = await lease();
        // 3 of at most 5 waiting, the oldest for 100 of 200 ms: not yet.
        expect(await store.claimBatch(key, 5, T0 + 100, { fillWaitMs: 200 })).toBeUndefined();
        expect(await states(ids)).toStrictEqual(Array(3).fill('accepted'));
        // A full batch goes at once.
        expect((await store.claimBatch(key, 2, T0 + 100, { fillWaitMs: 200 }))?.transfers).toHaveLength(2);
        // The rest once the oldest has waited the 200 ms.
        expect(await store.claimBatch(key, 5, T0 + 199, { fillWaitMs: 200 })).toBeUndefined();
        expect(
          (await store.claimBatch(key, 5, T0 + 200, { fillWaitMs: 200 }))?.transfers.map((t) => t.id),
        ).toStrictEqual([ids[2]]);
      });

      it('fails, splits and releases unsigned batches', async () => {
        const ids = await acceptSome(5);
        const key = await lease();
        const batch = (await store.claimBatch(key, 5, T0))!;

        const halves = (await store.splitBatch(key, batch.id, T0 + 1))!;
        expect(halves.map((h) => h.transfers.map((t) => t.id))).toStrictEqual([
          ids.slice(0, 3),
          ids.slice(3),
        ]);
        expect(halves.every((h) => h.state === 'batched' && h.keyAddress === KEY_1)).toBe(true);
        expect(await store.splitBatch(key, batch.id, T0 + 1)).toBeUndefined();
        expect((await store.unsignedBatches(key)).map((b) => b.id)).toStrictEqual(halves.map((h) => h.id));

        const failed = await store.failBatch(
          key,
          halves[1]!.id,
          { code: 'ERR_RELAYER_PREFLIGHT', message: 'no contract' },
          T0 + 2,
        );
        expect(failed?.failed).toStrictEqual(ids.slice(3).map((id) => ({ id, createdAt: T0 })));
        const gone = await store.getTransfer(ids[4]!);
        expect(gone).toMatchObject({
          state: 'failed',
          error: 'ERR_RELAYER_PREFLIGHT: no contract',
          errorCode: 'ERR_RELAYER_PREFLIGHT',
          updatedAt: T0 + 2,
        });

        expect(await store.releaseBatch(key, halves[0]!.id, T0 + 3)).toBe(true);
        expect(await store.releaseBatch(key, halves[0]!.id, T0 + 3)).toBe(false);
        expect(await states(ids)).toStrictEqual(['accepted', 'accepted', 'accepted', 'failed', 'failed']);
        expect((await store.getTransfer(ids[0]!))?.batchId).toBeNull();
        const again = (await store.claimBatch(key, 10, T0 + 4))!;
        expect(again.transfers.map((t) => t.id)).toStrictEqual(ids.slice(0, 3));

        // A batch of one cannot be split.
        const single = await acceptSome(1, TOKEN_B, T0 + 5);
        const one = (await store.claimBatch(key, 10, T0 + 6))!;
        expect(one.transfers.map((t) => t.id)).toStrictEqual(single);
        expect(await store.splitBatch(key, one.id, T0 + 7)).toBeUndefined();
      });

      it('takes the projects in turn: a backlog of 5,000 delays another project by at most one batch', async () => {
        // The flood first, then one transfer each of two small projects (one in another token).
        const flood = await store.acceptMany(
          Array.from({ length: 50 }, (_, r) =>
            request(
              `flood-${r}`,
              Array.from({ length: 100 }, (_, i) => transfer(100 * r + i)),
              { projectId: 'prj_a_flood' },
            ),
          ),
          T0,
        );
        expect(flood.every((result) => result.kind === 'created')).toBe(true);
        const [small] = await store.acceptMany(
          [request('small', [transfer(7)], { projectId: 'prj_b_small' })],
          T0 + 1,
        );
        const [other] = await store.acceptMany(
          [request('other', [transfer(8, TOKEN_B)], { projectId: 'prj_c_other' })],
          T0 + 2,
        );
        if (small?.kind !== 'created' || other?.kind !== 'created') throw new Error('not stored');
        const key = await lease();
        const batches = [];
        for (let i = 0; i < 3; i++) batches.push((await store.claimBatch(key, 100, T0 + 10 + i))!);
        const ids = batches.map((batch) => batch.transfers.map((t) => t.id));
        // The first batch is shared between the two projects of its token, and still full.
        expect(ids[0]).toContain(small.ids[0]);
        expect(ids[0]).toHaveLength(100);
        // The next project in turn leads the second batch, in its own token.
        expect(batches[1]!.token).toBe(TOKEN_B);
        expect(ids[1]).toStrictEqual(other.ids);
        // Then the backlog again, oldest first.
        const floodIds = flood.flatMap((result) => (result.kind === 'created' ? result.ids : []));
        expect(ids[2]).toStrictEqual(floodIds.slice(99, 199));
        expect((await store.countByState()).accepted).toBe(5_000 - 199);
      });

      it('fits a batch to what the key can pay; what it never can is marked, then failed after the wait', async () => {
        const amounts = [10n, 1_000n, 300n, 100n, 50n];
        const results = await store.acceptMany(
          amounts.map((amount, i) => request(`fund-${i}`, [{ token: TOKEN_A, to: recipient(i), amount }])),
          T0,
        );
        const ids = results.map((result) => (result.kind === 'created' ? result.ids[0]! : ''));
        const key = await lease();
        const funds = new Map([[TOKEN_A, { spendable: 400n, total: 500n }]]);
        // 10 and 300 fit; 1,000 is above all the key holds; 100 is above what is left (90); 50 fits.
        const first = (await store.claimBatch(key, 10, T0 + 10, { funds }))!;
        expect(first.transfers.map((t) => t.id)).toStrictEqual([ids[0], ids[2], ids[4]]);
        expect(await states(ids)).toStrictEqual(['batched', 'accepted', 'batched', 'accepted', 'batched']);
        // The skipped 100 goes in the next batch; the 1,000 is skipped again and stays marked.
        const second = (await store.claimBatch(key, 10, T0 + 20, { funds }))!;
        expect(second.transfers.map((t) => t.id)).toStrictEqual([ids[3]]);
        expect(await store.claimBatch(key, 10, T0 + 30, { funds })).toBeUndefined();

        const reason = 'ERR_RELAYER_INSUFFICIENT_FUNDS: no key could pay it';
        expect((await store.failUnfunded(T0 + 9, T0 + 40, UNFUNDED)).failed).toStrictEqual([]);
        const failed = await store.failUnfunded(T0 + 10, T0 + 41, UNFUNDED);
        expect(failed.failed).toStrictEqual([{ id: ids[1], createdAt: T0 }]);
        expect(await store.getTransfer(ids[1]!)).toMatchObject({
          state: 'failed',
          error: reason,
          errorCode: 'ERR_RELAYER_INSUFFICIENT_FUNDS',
          updatedAt: T0 + 41,
        });
        const [delivery] = await store.claimWebhooks(T0 + 41, 10, 1_000);
        expect(delivery?.transferId).toBe(ids[1]);
        expect(JSON.parse(delivery!.payload)).toMatchObject({
          state: 'failed',
          error: reason,
          errorCode: 'ERR_RELAYER_INSUFFICIENT_FUNDS',
          txHash: null,
        });
        expect((await store.failUnfunded(T0 + 100, T0 + 101, UNFUNDED)).failed).toStrictEqual([]);
      });

      it('a key that can pay a marked transfer takes it, and it is no longer failed', async () => {
        const [big] = await store.acceptMany(
          [request('big', [{ token: TOKEN_A, to: recipient(1), amount: 1_000n }])],
          T0,
        );
        if (big?.kind !== 'created') throw new Error('not stored');
        const poor = await lease('process-1', KEY_1);
        const rich = await lease('process-2', KEY_2);
        const small = new Map([[TOKEN_A, { spendable: 500n, total: 500n }]]);
        expect(await store.claimBatch(poor, 10, T0 + 10, { funds: small })).toBeUndefined();
        const large = new Map([[TOKEN_A, { spendable: 5_000n, total: 5_000n }]]);
        const batch = (await store.claimBatch(rich, 10, T0 + 20, { funds: large }))!;
        expect(batch.transfers.map((t) => t.id)).toStrictEqual(big.ids);
        // Given back (the rich key could not sign it after all): waiting again, not marked.
        expect(await store.releaseBatch(rich, batch.id, T0 + 30)).toBe(true);
        expect((await store.failUnfunded(T0 + 1_000, T0 + 1_001, UNFUNDED)).failed).toStrictEqual([]);
        expect((await store.getTransfer(big.ids[0]!))?.state).toBe('accepted');
        // A token the key has no figures for is claimed without a limit.
        const other = new Map([[TOKEN_B, { spendable: 0n, total: 0n }]]);
        expect((await store.claimBatch(poor, 10, T0 + 40, { funds: other }))?.transfers).toHaveLength(1);
      });
    });

    describe('attempts', () => {
      it('hands out each nonce once, in order, with the batch and transfers signed', async () => {
        const ids = await acceptSome(3);
        await store.registerKeys([KEY_1]);
        const unsynced = (await store.acquireKey(KEY_1, 'p1', LEASE_MS, T0))!;
        const batch = (await store.claimBatch(unsynced, 2, T0))!;
        // Before the reconciler synced the key there is no nonce to hand out.
        expect(await store.recordAttempt(unsynced, attemptFor(unsynced, batch, 0), T0)).toBeUndefined();
        expect(await store.setNextNonce(unsynced, 5)).toBe(true);

        expect(await store.recordAttempt(unsynced, attemptFor(unsynced, batch, 4), T0)).toBeUndefined();
        expect(await store.recordAttempt(unsynced, attemptFor(unsynced, batch, 6), T0)).toBeUndefined();
        const input = attemptFor(unsynced, batch, 5, 2_000_000_000_000n);
        const attempt = (await store.recordAttempt(unsynced, input, T0 + 1))!;
        expect(attempt).toStrictEqual({
          ...input,
          id: attempt.id,
          state: 'signed',
          createdAt: T0 + 1,
          submittedAt: null,
        });
        expect(attempt.id).toMatch(/^at_[0-9A-Za-z]{20}$/);
        expect((await store.renewKey(unsynced, LEASE_MS, T0 + 1))?.nextNonce).toBe(6);
        expect(await store.getTransfer(ids[0]!)).toMatchObject({ state: 'signed', txHash: input.hash });
        expect(await store.unsignedBatches(unsynced)).toStrictEqual([]);
        // A batch is signed once; its next attempt is a replacement.
        expect(await store.recordAttempt(unsynced, attemptFor(unsynced, batch, 6), T0 + 2)).toBeUndefined();

        // A no-op fills a nonce without a batch.
        const noop = await store.recordAttempt(unsynced, attemptFor(unsynced, null, 6), T0 + 3);
        expect(noop).toMatchObject({ kind: 'noop', batchId: null, nonce: 6 });
        expect((await store.openAttempts(unsynced)).map((a) => a.nonce)).toStrictEqual([5, 6]);

        expect(await store.markSubmitted(unsynced, attempt.id, T0 + 4)).toBe(true);
        expect(await store.markSubmitted(unsynced, attempt.id, T0 + 5)).toBe(true);
        const [submitted] = await store.openAttempts(unsynced);
        expect(submitted).toMatchObject({ state: 'submitted', submittedAt: T0 + 4 });
        expect(await states(ids)).toStrictEqual(['submitted', 'submitted', 'accepted']);
        // Counted and listed by the state shown, whichever row holds it.
        expect(await store.countByState()).toMatchObject({
          accepted: 1,
          batched: 0,
          signed: 0,
          submitted: 2,
        });
        expect(await store.countOpen()).toBe(3);
        expect((await store.listTransfers({ state: 'submitted', limit: 10 })).map((t) => t.id)).toStrictEqual(
          [ids[1], ids[0]],
        );
        expect(await store.listTransfers({ state: 'signed', limit: 10 })).toStrictEqual([]);
        expect((await store.getTransfers([ids[0]!])).map((t) => [t.state, t.txHash])).toStrictEqual([
          ['submitted', attempt.hash],
        ]);
      });

      it('a replacement keeps the nonce and shows the newest hash until a receipt names one', async () => {
        const ids = await acceptSome(2);
        const key = await lease();
        const batch = (await store.claimBatch(key, 2, T0))!;
        const original = (await store.recordAttempt(key, attemptFor(key, batch, 0, 100n), T0))!;
        await store.markSubmitted(key, original.id, T0);

        expect(
          await store.recordReplacement(key, original.id, attemptFor(key, batch, 1, 200n), T0),
        ).toBeUndefined();
        expect(
          await store.recordReplacement(key, 'at_unknown', attemptFor(key, batch, 0, 200n), T0),
        ).toBeUndefined();
        expect(
          await store.recordReplacement(key, original.id, attemptFor(key, batch, 0, 50n), T0),
        ).toBeUndefined();
        const bump = (await store.recordReplacement(
          key,
          original.id,
          attemptFor(key, batch, 0, 200n),
          T0 + 1,
        ))!;
        expect(bump).toMatchObject({ nonce: 0, batchId: batch.id, state: 'signed', maxFeePerGas: 200n });
        expect((await store.renewKey(key, LEASE_MS, T0 + 1))?.nextNonce).toBe(1);
        expect(await store.getTransfer(ids[0]!)).toMatchObject({ state: 'submitted', txHash: bump.hash });
        expect((await store.openAttempts(key)).map((a) => a.id)).toStrictEqual([original.id, bump.id]);

        // The original was mined after all.
        const settled = (await store.settleAttempt(key, original.id, SUCCESS, REVERT, T0 + 2))!;
        expect(settled.confirmed.map((t) => t.id)).toStrictEqual(ids);
        expect(await store.getTransfer(ids[1]!)).toMatchObject({
          state: 'confirmed',
          txHash: original.hash,
          blockNumber: 1234,
          updatedAt: T0 + 2,
        });
        expect(await store.openAttempts(key)).toStrictEqual([]);
        // Settled once: a second receipt changes nothing; the replaced one cannot settle either.
        const nothing = { confirmed: [], failed: [], split: [] };
        expect(await store.settleAttempt(key, original.id, SUCCESS, REVERT, T0 + 3)).toStrictEqual(nothing);
        expect(await store.settleAttempt(key, bump.id, SUCCESS, REVERT, T0 + 3)).toStrictEqual(nothing);
        expect((await store.getTransfer(ids[0]!))?.txHash).toBe(original.hash);
        expect(
          await store.recordReplacement(key, original.id, attemptFor(key, batch, 0, 300n), T0),
        ).toBeUndefined();
        expect(await store.countByState()).toMatchObject({ confirmed: 2 });
        expect(await store.countOpen()).toBe(0);
      });

      it('finds transfers by ids, and by the hash of any attempt of their batch', async () => {
        const ids = await acceptSome(3);
        expect(
          (await store.getTransfers([ids[2]!, 'tr_unknown', ids[0]!])).map((t) => t.id).sort(),
        ).toStrictEqual([ids[0]!, ids[2]!].sort());
        expect(await store.getTransfers([])).toStrictEqual([]);
        const key = await lease();
        const batch = (await store.claimBatch(key, 2, T0))!;
        const original = (await store.recordAttempt(key, attemptFor(key, batch, 0, 100n), T0))!;
        const bump = (await store.recordReplacement(key, original.id, attemptFor(key, batch, 0, 200n), T0))!;
        const carried = batch.transfers.map((t) => t.id);
        // The replaced attempt's hash still finds them; they show the hash carrying them now.
        for (const hash of [original.hash, bump.hash]) {
          const found = await store.getTransactionTransfers(hash);
          expect(found.map((t) => t.id)).toStrictEqual(carried);
          expect(found.every((t) => t.txHash === bump.hash)).toBe(true);
        }
        expect(await store.getTransactionTransfers(`0x${'e'.repeat(64)}`)).toStrictEqual([]);
      });

      it('finds transfers by idempotency key within the projects named, and a batch with its attempts', async () => {
        await store.acceptMany(
          [
            request('order-9', [transfer(1), transfer(2)]),
            request('order-9', [transfer(3)], { projectId: 'prj_other' }),
            request('order-9', [transfer(4)], { projectId: null }),
          ],
          T0,
        );
        const acme = await store.findByIdempotencyKey('order-9', ['prj_acme'], 10);
        expect(acme.map((t) => [t.projectId, t.to])).toStrictEqual([
          ['prj_acme', recipient(1)],
          ['prj_acme', recipient(2)],
        ]);
        const every = await store.findByIdempotencyKey('order-9', ['prj_acme', 'prj_other', null], 10);
        expect(every.map((t) => t.projectId)).toStrictEqual(['prj_acme', 'prj_acme', 'prj_other', null]);
        expect(await store.findByIdempotencyKey('order-9', ['prj_acme', 'prj_other', null], 2)).toHaveLength(
          2,
        );
        expect(await store.findByIdempotencyKey('order-9', ['prj_nobody'], 10)).toStrictEqual([]);
        expect(await store.findByIdempotencyKey('order-10', ['prj_acme'], 10)).toStrictEqual([]);

        const key = await lease();
        const batch = (await store.claimBatch(key, 2, T0 + 1))!;
        const original = (await store.recordAttempt(key, attemptFor(key, batch, 0, 100n), T0 + 2))!;
        expect(await store.markSubmitted(key, original.id, T0 + 3)).toBe(true);
        const bump = (await store.recordReplacement(
          key,
          original.id,
          attemptFor(key, batch, 0, 200n),
          T0 + 4,
        ))!;
        await store.settleAttempt(key, bump.id, SUCCESS, REVERT, T0 + 5);
        const trail = await store.getBatchTrail(batch.id);
        expect(trail).toMatchObject({
          id: batch.id,
          keyAddress: KEY_1,
          state: 'confirmed',
          size: 2,
          createdAt: T0 + 1,
        });
        expect(trail!.attempts).toStrictEqual([
          expect.objectContaining({
            hash: original.hash,
            nonce: 0,
            state: 'replaced',
            createdAt: T0 + 2,
            submittedAt: T0 + 3,
            maxFeePerGas: 100n,
          }),
          expect.objectContaining({ hash: bump.hash, nonce: 0, state: 'confirmed', createdAt: T0 + 4 }),
        ]);
        expect(trail!.attempts[0]).not.toHaveProperty('raw');
        expect(await store.getBatchTrail('bt_none')).toBeUndefined();
      });

      it('a reverted batch is bisected; a reverted single transfer fails', async () => {
        const ids = await acceptSome(3);
        const key = await lease();
        const batch = (await store.claimBatch(key, 3, T0))!;
        const attempt = (await store.recordAttempt(key, attemptFor(key, batch, 0), T0))!;
        const bump = (await store.recordReplacement(key, attempt.id, attemptFor(key, batch, 0, 300n), T0))!;
        const settled = (await store.settleAttempt(key, bump.id, REVERTED, REVERT, T0 + 1))!;
        expect(settled.confirmed).toStrictEqual([]);
        expect(settled.failed).toStrictEqual([]);
        expect(settled.split.map((b) => b.transfers.map((t) => t.id))).toStrictEqual([
          ids.slice(0, 2),
          [ids[2]],
        ]);
        expect(settled.split.every((b) => b.state === 'batched' && b.keyAddress === KEY_1)).toBe(true);
        expect(await states(ids)).toStrictEqual(['batched', 'batched', 'batched']);
        expect((await store.getTransfer(ids[2]!))?.batchId).toBe(settled.split[1]!.id);
        expect(await store.openAttempts(key)).toStrictEqual([]);
        expect((await store.unsignedBatches(key)).map((b) => b.id)).toStrictEqual(
          settled.split.map((b) => b.id),
        );

        const lone = settled.split[1]!;
        const loneAttempt = (await store.recordAttempt(key, attemptFor(key, lone, 1), T0 + 2))!;
        const failed = (await store.settleAttempt(
          key,
          loneAttempt.id,
          REVERTED,
          { code: 'ERR_RELAYER_TRANSFER_REVERTED', message: 'transfer amount exceeds balance' },
          T0 + 3,
        ))!;
        expect(failed.failed).toStrictEqual([{ id: ids[2], createdAt: T0 }]);
        expect(failed.split).toStrictEqual([]);
        expect(await store.getTransfer(ids[2]!)).toMatchObject({
          state: 'failed',
          error: 'ERR_RELAYER_TRANSFER_REVERTED: transfer amount exceeds balance',
          errorCode: 'ERR_RELAYER_TRANSFER_REVERTED',
          txHash: loneAttempt.hash,
          blockNumber: 1235,
        });
      });

      it('a dropped nonce returns the transfers to the queue, to be claimed again', async () => {
        const ids = await acceptSome(2);
        const key = await lease();
        const batch = (await store.claimBatch(key, 2, T0))!;
        const attempt = (await store.recordAttempt(key, attemptFor(key, batch, 0), T0))!;
        await store.recordReplacement(key, attempt.id, attemptFor(key, batch, 0, 500n), T0);
        await store.markSubmitted(key, attempt.id, T0);
        // Nothing open at nonce 3: nothing to do, and the lease still holds.
        expect(await store.dropNonce(key, 3, T0 + 1)).toBe(true);
        expect(await store.getTransfer(ids[0]!)).toMatchObject({ state: 'submitted', batchId: batch.id });
        expect(await store.dropNonce(key, 0, T0 + 1)).toBe(true);
        expect(await store.dropNonce(key, 0, T0 + 1)).toBe(true);
        expect(await store.openAttempts(key)).toStrictEqual([]);
        expect(await store.settleAttempt(key, attempt.id, SUCCESS, REVERT, T0 + 2)).toStrictEqual({
          confirmed: [],
          failed: [],
          split: [],
        });
        for (const id of ids)
          expect(await store.getTransfer(id)).toMatchObject({
            state: 'accepted',
            batchId: null,
            txHash: null,
          });
        const again = (await store.claimBatch(key, 5, T0 + 3))!;
        expect(again.id).not.toBe(batch.id);
        expect(again.transfers.map((t) => t.id)).toStrictEqual(ids);
        // The next nonce is the reconciler's to set; a drop leaves it.
        expect((await store.renewKey(key, LEASE_MS, T0 + 3))?.nextNonce).toBe(1);
        expect(await store.recordAttempt(key, attemptFor(key, again, 1), T0 + 4)).toBeDefined();
      });

      it('a no-op that took the nonce of a batch sends the batch back to the queue', async () => {
        const ids = await acceptSome(2);
        const key = await lease();
        const batch = (await store.claimBatch(key, 2, T0))!;
        const stuck = (await store.recordAttempt(key, attemptFor(key, batch, 0), T0))!;
        const noop = (await store.recordReplacement(
          key,
          stuck.id,
          { ...attemptFor(key, batch, 0, 200n), kind: 'noop' },
          T0 + 1,
        ))!;
        const settled = await store.settleAttempt(key, noop.id, SUCCESS, REVERT, T0 + 2);
        expect(settled).toStrictEqual({ confirmed: [], failed: [], split: [] });
        expect(await states(ids)).toStrictEqual(['accepted', 'accepted']);
        expect(await store.openAttempts(key)).toStrictEqual([]);
        expect(await store.claimWebhooks(T0 + 1_000_000, 10, 1_000)).toStrictEqual([]);
        expect((await store.claimBatch(key, 5, T0 + 3))?.transfers.map((t) => t.id)).toStrictEqual(ids);
      });
    });

    describe('webhooks', () => {
      async function confirmOne(): Promise<{ id: string; hash: string }> {
        const [id] = await acceptSome(1);
        const key = await lease();
        const batch = (await store.claimBatch(key, 1, T0))!;
        const attempt = (await store.recordAttempt(key, attemptFor(key, batch, 0), T0))!;
        await store.settleAttempt(key, attempt.id, SUCCESS, REVERT, T0 + 5);
        return { id: id!, hash: attempt.hash };
      }

      it('queues one delivery per terminal transfer, with the documented payload', async () => {
        const { id, hash } = await confirmOne();
        const transfer = (await store.getTransfer(id))!;
        const [delivery, ...more] = await store.claimWebhooks(T0 + 5, 10, 1_000);
        expect(more).toStrictEqual([]);
        expect(delivery).toMatchObject({ transferId: id, attempts: 0, nextAt: T0 + 1_005 });
        expect(delivery!.id).toMatch(/^wh_[0-9A-Za-z]{20}$/);
        expect(JSON.parse(delivery!.payload)).toStrictEqual({
          id,
          requestId: transfer.requestId,
          state: 'confirmed',
          token: TOKEN_A,
          to: recipient(0),
          amount: '1',
          txHash: hash,
          blockNumber: 1234,
          error: null,
          errorCode: null,
          updatedAt: T0 + 5,
        });

        // Claimed: nobody else gets it until the claim runs out.
        expect(await store.claimWebhooks(T0 + 6, 10, 1_000)).toStrictEqual([]);
        expect((await store.claimWebhooks(T0 + 1_005, 10, 1_000)).map((d) => d.id)).toStrictEqual([
          delivery!.id,
        ]);

        await store.webhookFailed(delivery!.id, T0 + 10_000, false);
        expect(await store.claimWebhooks(T0 + 9_999, 10, 1_000)).toStrictEqual([]);
        const retried = await store.claimWebhooks(T0 + 10_000, 10, 1_000);
        expect(retried).toMatchObject([{ id: delivery!.id, attempts: 1 }]);
        await store.webhookDelivered(delivery!.id, T0 + 10_001);
        expect(await store.claimWebhooks(T0 + 99_999, 10, 1_000)).toStrictEqual([]);
      });

      it('failed transfers are announced; an abandoned delivery is never claimed again', async () => {
        const ids = await acceptSome(3);
        const key = await lease();
        const batch = (await store.claimBatch(key, 3, T0))!;
        await store.failBatch(key, batch.id, { code: 'ERR_RELAYER_PREFLIGHT', message: 'no code' }, T0 + 1);
        const deliveries = await store.claimWebhooks(T0 + 1, 2, 1_000);
        expect(deliveries).toHaveLength(2);
        const rest = await store.claimWebhooks(T0 + 1, 10, 1_000);
        expect(rest).toHaveLength(1);
        const all = [...deliveries, ...rest];
        expect(all.map((d) => d.transferId).sort()).toStrictEqual([...ids].sort());
        expect(JSON.parse(all[0]!.payload)).toMatchObject({
          state: 'failed',
          error: 'ERR_RELAYER_PREFLIGHT: no code',
          errorCode: 'ERR_RELAYER_PREFLIGHT',
          txHash: null,
          blockNumber: null,
        });
        for (const delivery of all) await store.webhookFailed(delivery.id, T0 + 2_000, true);
        expect(await store.claimWebhooks(T0 + 1_000_000, 10, 1_000)).toStrictEqual([]);
      });

      it('none are queued when webhooks are off', async () => {
        await harness.drop();
        harness = await open({ webhooks: false });
        store = harness.store;
        await confirmOne();
        expect(await store.claimWebhooks(T0 + 1_000_000, 10, 1_000)).toStrictEqual([]);
      });
    });
  });
}
