/**
 * Crash safety: the relayer runs in a child gateway process that is killed with SIGKILL four
 * times at random moments of a 5,000-transfer run (twice while the client is still posting,
 * twice while batches are being signed, broadcast and mined) and started again on the same
 * config. The client retries every request with its Idempotency-Key until it is stored.
 * Every accepted transfer must end confirmed exactly once: each recipient's balance equals the
 * sum requested for it, the signers paid out exactly the total requested, no batch or nonce
 * was confirmed twice, and each key's nonces on chain are all the relayer's, without a gap.
 *
 * The kill schedule comes from a seeded PRNG; a failure prints the seed (replay: TEST_SEED=n).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlRelayerStore } from '../src/relayer/sql-relayer-store.js';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';
import {
  chainNonces,
  checkExactlyOnce,
  postUntilStored,
  RelayerChild,
  seededRandom,
  sleep,
  type TransferRequest,
} from './support/relayer-process.js';

const TRANSFERS = 5_000;
const PER_REQUEST = 100;
const RECIPIENTS = 1_000;
const KEYS = 6;
const MINT = 10n ** 30n;
// Small batches and two in flight per key: ~240 transfers a block, so execution spans ~20 blocks
// and the kills land in the middle of it.
const RELAYER = { leaseMs: 2_000, pollMs: 200, reconcileMs: 3_000, maxBatchSize: 20, maxInFlightPerKey: 2 };

interface Kill {
  readonly phase: 'posting' | 'executing';
  readonly posted: number;
  readonly confirmed: number;
  readonly downMs: number;
}

describe.each(['sqlite', 'postgres'] as const)(
  'relayer on %s: SIGKILL during a 5,000-transfer run',
  (dialect) => {
    let fixture: RelayerFixture;
    let store: SqlRelayerStore;
    let child: RelayerChild | undefined;
    let startNonces: Map<string, number>;

    beforeAll(async () => {
      fixture = await startRelayerFixture({
        dialect,
        keys: KEYS,
        gateway: false,
        mintPerSigner: MINT,
        relayer: RELAYER,
      });
      store = new SqlRelayerStore(fixture.database.store, { webhooks: false });
      startNonces = await chainNonces(fixture);
      child = await RelayerChild.create(`crash-${dialect}`, fixture);
      await child.start();
    }, 120_000);
    afterAll(async () => {
      await child?.dispose();
      await fixture?.close();
    });

    it('confirms every accepted transfer exactly once across four kill -9 and restarts', async () => {
      const seed = Number(process.env.TEST_SEED ?? randomBytes(4).readUInt32BE(0));
      const random = seededRandom(seed);
      const started = Date.now();
      const deadline = started + 150_000;
      const relayer = child as RelayerChild;

      const recipients = Array.from({ length: RECIPIENTS }, () => randomAddress());
      const expected = new Map<string, bigint>();
      const requests: TransferRequest[] = [];
      for (let r = 0; r < TRANSFERS / PER_REQUEST; r++) {
        const transfers = Array.from({ length: PER_REQUEST }, (_, i) => {
          const to = recipients[(r * PER_REQUEST + i) % RECIPIENTS] as string;
          const amount = BigInt(1 + randomBytes(3).readUIntBE(0, 3));
          expected.set(to, (expected.get(to) ?? 0n) + amount);
          return { token: 'DEMO', to, amount: amount.toString() };
        });
        requests.push({ key: `crash-${dialect}-${seed}-${r}`, transfers });
      }

      // The client: two requests at a time with a pause, so posting overlaps execution and kills.
      let posted = 0;
      const answers: Awaited<ReturnType<typeof postUntilStored>>[] = [];
      const client = (async () => {
        for (let i = 0; i < requests.length; i += 2) {
          const round = await Promise.all(
            requests.slice(i, i + 2).map((request) => postUntilStored([relayer.url], request, deadline)),
          );
          answers.push(...round);
          posted += round.length;
          await sleep(150);
        }
      })();

      let confirmed = 0;
      const kills: Kill[] = [];
      const killAndRestart = async (phase: Kill['phase']) => {
        await sleep(random() * 700);
        const at = { posted, confirmed: (await store.countByState()).confirmed };
        await relayer.kill();
        const downMs = 200 + Math.floor(random() * 1_300);
        await sleep(downMs);
        await relayer.start();
        kills.push({ phase, ...at, downMs });
      };
      const killer = (async () => {
        // Two kills while requests are still being posted…
        for (const upTo of [5 + Math.floor(random() * 10), 25 + Math.floor(random() * 15)]) {
          while (posted < upTo) await sleep(20);
          await killAndRestart('posting');
        }
        await client;
        // …and two while the stored transfers are being executed.
        for (const fraction of [0.15 + random() * 0.25, 0.5 + random() * 0.3]) {
          while (confirmed < fraction * TRANSFERS && Date.now() < deadline) {
            await sleep(100);
            confirmed = (await store.countByState()).confirmed;
          }
          await killAndRestart('executing');
        }
      })();
      const context = () => `seed ${seed}; kills ${JSON.stringify(kills)}`;

      await Promise.all([client, killer]);
      const ids = answers.flatMap((answer) => answer.ids);
      expect(ids.length, context()).toBe(TRANSFERS);
      expect(new Set(ids).size, context()).toBe(TRANSFERS);
      expect(kills.map((kill) => kill.phase)).toEqual(['posting', 'posting', 'executing', 'executing']);
      // The execution kills hit a run in progress, not one already done.
      for (const kill of kills.filter((k) => k.phase === 'executing'))
        expect(kill.confirmed, context()).toBeLessThan(TRANSFERS);

      let counts = await store.countByState();
      while (counts.confirmed + counts.failed < TRANSFERS && Date.now() < deadline) {
        await sleep(500);
        counts = await store.countByState();
      }
      const executed = Date.now();
      expect(counts, context()).toEqual({
        accepted: 0,
        batched: 0,
        signed: 0,
        submitted: 0,
        confirmed: TRANSFERS,
        failed: 0,
      });

      // Exactly the ids the client was given are stored, each confirmed.
      const rows = await fixture.database.store.db
        .selectFrom('relayer_transfers')
        .select(['id', 'state'])
        .execute();
      expect(rows.length).toBe(TRANSFERS);
      expect(new Set(rows.map((row) => row.id))).toEqual(new Set(ids));

      const report = await checkExactlyOnce(fixture, expected, MINT, startNonces);
      expect(report.wrongBalances, `recipients paid other than requested; ${context()}`).toEqual([]);
      expect(report.spent, `signers' total spend; ${context()}`).toBe(report.requested);
      expect(report.batchesConfirmedTwice, context()).toEqual([]);
      expect(report.noncesConfirmedTwice, context()).toEqual([]);
      expect(report.nonceHoles, context()).toEqual([]);

      const retried = answers.filter((answer) => answer.tries > 1).length;
      const replays = answers.filter((answer) => answer.status === 200).length;
      console.info(
        `relayer crash (${dialect}): ${context()}; ${retried} requests retried, ${replays} answered as replays; ` +
          `all confirmed after ${((executed - started) / 1000).toFixed(1)} s`,
      );
    }, 180_000);
  },
);
