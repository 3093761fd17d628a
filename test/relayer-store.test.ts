/**
 * SqlRelayerStore against real databases: the conformance suite on SQLite and PostgreSQL, and
 * two PostgreSQL pools (as two processes would have) racing to claim transfers (and to claim or
 * fail unfunded ones) and to hand out the same key's nonce.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Batch, KeyLease, NewAttempt } from '../src/relayer/model.js';
import { SqlRelayerStore } from '../src/relayer/sql-relayer-store.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { describeRelayerStore, type RelayerStoreHarness } from './conformance/relayer-store.js';
import { createTestDatabase, type TestDatabase, type TestDialect } from './support/databases.js';

async function openSqlStore(dialect: TestDialect, webhooks: boolean): Promise<RelayerStoreHarness> {
  const testDb = await createTestDatabase(dialect);
  const store = new SqlRelayerStore(testDb.store, { webhooks });
  return {
    store,
    async drop() {
      await store.close();
      await testDb.drop();
    },
  };
}

describeRelayerStore('SqlRelayerStore on SQLite', ({ webhooks }) => openSqlStore('sqlite', webhooks));
describeRelayerStore('SqlRelayerStore on PostgreSQL', ({ webhooks }) => openSqlStore('postgres', webhooks));

const T0 = Date.UTC(2024, 2, 20, 12, 0, 0);
const TOKEN = `0x${'a'.repeat(40)}`;

/** Two stores on one PostgreSQL schema through separate pools, as two processes would be. */
async function twoPools(run: (first: SqlRelayerStore, second: SqlRelayerStore) => Promise<void>) {
  const testDb: TestDatabase = await createTestDatabase('postgres');
  const other = await openDatabase(testDb.options);
  try {
    await run(
      new SqlRelayerStore(testDb.store, { webhooks: true }),
      new SqlRelayerStore(other, { webhooks: true }),
    );
  } finally {
    await other.close();
    await testDb.drop();
  }
}

function attempt(lease: KeyLease, batch: Batch | null, nonce: number, tag: string): NewAttempt {
  return {
    keyAddress: lease.address,
    nonce,
    kind: batch === null ? 'noop' : 'batch',
    batchId: batch?.id ?? null,
    raw: '0x02',
    hash: `0x${Buffer.from(tag).toString('hex').padStart(64, '0')}`,
    maxFeePerGas: 10n,
    maxPriorityFeePerGas: 1n,
  };
}

describe('SqlRelayerStore on PostgreSQL from two pools', () => {
  it('concurrent claimers on two keys never put one transfer in two batches', async () => {
    await twoPools(async (first, second) => {
      const total = 600;
      await first.acceptMany(
        Array.from({ length: total }, (_, i) => ({
          projectId: null,
          idempotencyKey: `k${i}`,
          requestHash: `h${i}`,
          transfers: [{ token: TOKEN, to: `0x${i.toString(16).padStart(40, '0')}`, amount: 1n }],
        })),
        T0,
      );
      const keys = [`0x${'1'.repeat(40)}`, `0x${'2'.repeat(40)}`];
      await first.registerKeys(keys);
      const leaseOne = (await first.acquireKey(keys[0]!, 'p1', 60_000, T0))!;
      const leaseTwo = (await second.acquireKey(keys[1]!, 'p2', 60_000, T0))!;

      const claims = Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0 ? first.claimBatch(leaseOne, 9, T0) : second.claimBatch(leaseTwo, 9, T0),
      );
      const batches = (await Promise.all(claims)).filter((batch) => batch !== undefined);
      const claimed = batches.flatMap((batch) => batch.transfers.map((t) => t.id));
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(new Set(batches.map((b) => b.keyAddress))).toStrictEqual(new Set(keys));

      // Every claimed transfer points at the batch that claimed it.
      const owner = new Map(batches.flatMap((b) => b.transfers.map((t) => [t.id, b.id] as const)));
      for (const id of claimed.slice(0, 50))
        expect((await second.getTransfer(id))?.batchId).toBe(owner.get(id));
      const counts = await second.countByState();
      expect(counts.batched).toBe(claimed.length);
      expect(counts.accepted).toBe(total - claimed.length);
    });
  });

  it('overlapping intake from both stores each key once, without deadlocks', async () => {
    await twoPools(async (first, second) => {
      const call = (store: SqlRelayerStore, order: readonly string[]) =>
        store.acceptMany(
          order.map((key) => ({
            projectId: 'prj_acme',
            idempotencyKey: key,
            requestHash: `h-${key}`,
            transfers: [{ token: TOKEN, to: `0x${'9'.repeat(40)}`, amount: 5n }],
          })),
          T0,
        );
      // Warm both pools so the calls really overlap.
      await Promise.all([first.countOpen(), second.countOpen(), first.countOpen(), second.countOpen()]);
      const rounds = 4;
      const perRound = 1_500;
      for (let round = 0; round < rounds; round++) {
        const keys = Array.from({ length: perRound }, (_, i) => `order-${round}-${i}`);
        const reversed = [...keys].reverse();
        // Opposite orders: without a shared lock order, each waits on the other's index entries.
        const orders = [keys, reversed, reversed, keys];
        const answers = await Promise.all(
          orders.map((order, i) => call(i % 2 === 0 ? first : second, order)),
        );
        const idsByKey = new Map<string, string>();
        let created = 0;
        for (const [i, answer] of answers.entries()) {
          for (const [j, result] of answer.entries()) {
            expect(result.kind).not.toBe('conflict');
            if (result.kind === 'conflict') continue;
            if (result.kind === 'created') created += 1;
            const key = orders[i]![j]!;
            const seen = idsByKey.get(key);
            if (seen === undefined) idsByKey.set(key, result.ids[0]!);
            else expect(result.ids[0]).toBe(seen);
          }
        }
        expect(created).toBe(perRound);
      }
      expect(await first.countOpen()).toBe(rounds * perRound);
    });
  });

  it('a key claiming unfunded transfers while another process fails them: each ends one way, announced once', async () => {
    await twoPools(async (first, second) => {
      const total = 400;
      await first.acceptMany(
        Array.from({ length: total }, (_, i) => ({
          projectId: `prj_${i % 4}`,
          idempotencyKey: `u${i}`,
          requestHash: `h${i}`,
          transfers: [{ token: TOKEN, to: `0x${(i + 1).toString(16).padStart(40, '0')}`, amount: 1_000n }],
        })),
        T0,
      );
      const keys = [`0x${'4'.repeat(40)}`, `0x${'5'.repeat(40)}`];
      await first.registerKeys(keys);
      const poor = (await first.acquireKey(keys[0]!, 'p1', 60_000, T0))!;
      const rich = (await second.acquireKey(keys[1]!, 'p2', 60_000, T0))!;
      // The poor key marks every one of them (1,000 is above all it holds).
      const none = new Map([[TOKEN, { spendable: 10n, total: 10n }]]);
      for (let i = 0; i < 8; i++)
        expect(await first.claimBatch(poor, 100, T0 + 1, { funds: none })).toBeUndefined();
      // Past the wait: the rich key claims while the other process fails what is still marked.
      const reason = { code: 'ERR_RELAYER_INSUFFICIENT_FUNDS', message: 'race' } as const;
      const plenty = new Map([[TOKEN, { spendable: 10n ** 9n, total: 10n ** 9n }]]);
      const [batches, sweeps] = await Promise.all([
        Promise.all(
          Array.from({ length: 6 }, (_, i) => second.claimBatch(rich, 25, T0 + 10 + i, { funds: plenty })),
        ),
        Promise.all([
          first.failUnfunded(T0 + 1, T0 + 20, reason),
          second.failUnfunded(T0 + 1, T0 + 21, reason),
        ]),
      ]);
      const claimed = batches.flatMap((batch) => batch?.transfers.map((t) => t.id) ?? []);
      const failed = sweeps.flatMap((settled) => settled.failed.map((t) => t.id));
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(new Set(failed).size).toBe(failed.length);
      expect(claimed.filter((id) => failed.includes(id))).toStrictEqual([]);
      // Every transfer was claimed, failed, or is still waiting (marked); none was lost.
      const counts = await first.countByState();
      expect(counts.batched).toBe(claimed.length);
      expect(counts.failed).toBe(failed.length);
      expect(counts.accepted).toBe(total - claimed.length - failed.length);
      for (const id of claimed.slice(0, 20)) expect((await second.getTransfer(id))?.state).toBe('batched');
      // One webhook per failed transfer, none for the claimed ones.
      const deliveries = await first.claimWebhooks(T0 + 30, 1_000, 1_000);
      expect(deliveries.map((d) => d.transferId).sort()).toStrictEqual([...failed].sort());
    });
  });

  it('two processes racing to sign with one key cannot use a nonce twice', async () => {
    await twoPools(async (first, second) => {
      const key = `0x${'3'.repeat(40)}`;
      await first.registerKeys([key]);
      const lease = (await first.acquireKey(key, 'p1', 60_000, T0))!;
      expect(await first.setNextNonce(lease, 10)).toBe(true);
      const synced = (await first.renewKey(lease, 60_000, T0))!;

      // The same lease in both (a process and its paused double): each nonce 10..14 is tried
      // six times, three through each pool, all at once.
      const tries = [];
      for (let nonce = 10; nonce < 15; nonce++)
        for (let i = 0; i < 6; i++)
          tries.push(
            (i % 2 === 0 ? first : second).recordAttempt(
              synced,
              attempt(synced, null, nonce, `${nonce}-${i}`),
              T0,
            ),
          );
      const stored = (await Promise.all(tries)).filter((a) => a !== undefined);
      const nonces = stored.map((a) => a.nonce);
      expect(new Set(nonces).size).toBe(nonces.length);
      expect(nonces.length).toBeGreaterThanOrEqual(1);
      const open = await second.openAttempts(synced);
      expect(open.map((a) => a.nonce)).toStrictEqual([...nonces].sort((a, b) => a - b));
      // No gap: the stored nonces run from 10 without a hole, and next_nonce follows them.
      expect(open.map((a) => a.nonce)).toStrictEqual(open.map((_, i) => 10 + i));
      expect((await second.renewKey(synced, 60_000, T0))?.nextNonce).toBe(10 + open.length);
    });
  });
});

describe.each(['sqlite', 'postgres'] as const)('migration 0007 on %s', (dialect) => {
  it('gives transfers failed before it the code their error text starts with', async () => {
    const testDb = await createTestDatabase(dialect);
    try {
      const { db } = testDb.store;
      // Back to the schema of 0006: no error_code column, 0007 (nor the later 0008) not applied.
      await sql`alter table relayer_transfers drop column error_code`.execute(db);
      await sql`alter table relayer_batches drop column tx_hash`.execute(db);
      await sql`delete from kysely_migration where name in ('0007-relayer-failure-codes', '0008-relayer-batch-progress')`.execute(
        db,
      );
      const store = new SqlRelayerStore(testDb.store, { webhooks: false });
      const errors = [
        'ERR_RELAYER_TRANSFER_REVERTED: reverted on chain in 0xab (block 7)',
        'ERR_RELAYER_PREFLIGHT: no contract code at token 0x01',
        "ERR_RELAYER_INSUFFICIENT_FUNDS: no signing key's token balance and allowance covered the amount",
        'ERR_RELAYER_PREFLIGHTX: not a code of ours',
        null,
      ];
      const [created] = await store.acceptMany(
        [
          {
            projectId: null,
            idempotencyKey: 'old',
            requestHash: 'h',
            transfers: errors.map((_, i) => ({ token: TOKEN, to: `0x${String(i).repeat(40)}`, amount: 1n })),
          },
        ],
        T0,
      );
      if (created?.kind !== 'created') throw new Error('not stored');
      for (const [i, error] of errors.entries())
        await sql`update relayer_transfers set state = ${error === null ? 'confirmed' : 'failed'}, error = ${error}
          where id = ${created.ids[i]}`.execute(db);

      expect(await migrateToLatest(testDb.store)).toStrictEqual([
        '0007-relayer-failure-codes',
        '0008-relayer-batch-progress',
      ]);
      const records = await Promise.all(created.ids.map((id) => store.getTransfer(id)));
      expect(records.map((record) => [record?.error, record?.errorCode])).toStrictEqual([
        [errors[0], 'ERR_RELAYER_TRANSFER_REVERTED'],
        [errors[1], 'ERR_RELAYER_PREFLIGHT'],
        [errors[2], 'ERR_RELAYER_INSUFFICIENT_FUNDS'],
        [errors[3], null],
        [null, null],
      ]);
    } finally {
      await testDb.drop();
    }
  });
});
