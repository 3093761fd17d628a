/**
 * Two independent relayer processes (two child gateways, one worker each) on one PostgreSQL
 * schema with 8 keys: both accept transfers (half the requests go to each; a request whose
 * process does not answer is retried on the other with the same Idempotency-Key) and both run
 * engines. Outside a node:cluster a process takes every free key at start (key-pool.ts), so
 * the first to start usually holds all 8; mid-run the process holding the most keys is killed
 * with SIGKILL and the other must take its keys over once their leases (leaseMs) lapse.
 *
 * Exactly-once across processes: no (key, nonce) carries two batches, no batch or nonce is
 * confirmed twice, each key's nonces on chain are the relayer's without a gap, every recipient's
 * balance equals the sum requested and the signers paid out exactly the total.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlRelayerStore } from '../src/relayer/sql-relayer-store.js';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';
import {
  chainNonces,
  checkExactlyOnce,
  inflightKeys,
  metricSum,
  noncesWithTwoBatches,
  postUntilStored,
  RelayerChild,
  seededRandom,
  signerAddresses,
  sleep,
  type TransferRequest,
} from './support/relayer-process.js';

const TRANSFERS = 5_000;
const PER_REQUEST = 100;
const RECIPIENTS = 1_000;
const KEYS = 8;
const MINT = 10n ** 30n;
/** storage.pool.statementTimeoutMs of the children (the default). */
const STATEMENT_TIMEOUT_MS = 10_000;
const RELAYER = { leaseMs: 2_000, pollMs: 200, reconcileMs: 3_000, maxBatchSize: 20, maxInFlightPerKey: 2 };

interface Seen {
  /** Keys seen in this process's turnpike_relayer_key_inflight. */
  readonly inflight: Set<string>;
  /** Highest turnpike_relayer_batches_total seen (per run; summed over runs at the end). */
  batches: number;
}

/**
 * kill: SIGKILL, the victim stays dead. pause: SIGSTOP until the survivor holds every key, then
 * SIGCONT — the victim wakes up believing it holds its leases, with batches in memory, and only
 * the fencing token stands between it and a second transaction for them.
 */
describe.each(['kill', 'pause'] as const)(
  'two relayer processes on one PostgreSQL schema: %s the key holder',
  (mode) => {
    let fixture: RelayerFixture;
    let store: SqlRelayerStore;
    let children: RelayerChild[] = [];
    let startNonces: Map<string, number>;

    beforeAll(async () => {
      fixture = await startRelayerFixture({
        dialect: 'postgres',
        keys: KEYS,
        gateway: false,
        mintPerSigner: MINT,
        relayer: RELAYER,
      });
      store = new SqlRelayerStore(fixture.database.store, { webhooks: false });
      startNonces = await chainNonces(fixture);
      children = [await RelayerChild.create('pair-a', fixture), await RelayerChild.create('pair-b', fixture)];
      await Promise.all(children.map((child) => child.start()));
    }, 120_000);
    afterAll(async () => {
      await Promise.all(children.map((child) => child.dispose()));
      await fixture?.close();
    });

    /** Which child holds each key now, from relayer_keys.owner (`host:pid:random`). */
    async function holders(): Promise<
      Map<string, { child: RelayerChild | undefined; fencingToken: number }>
    > {
      const rows = await fixture.database.store.db
        .selectFrom('relayer_keys')
        .select(['address', 'owner', 'lease_expires_at', 'fencing_token'])
        .execute();
      const now = Date.now();
      return new Map(
        rows.map((row) => {
          const pid = Number(row.owner?.split(':').at(-2));
          const live = row.owner !== null && Number(row.lease_expires_at) > now;
          const child = live ? children.find((candidate) => candidate.ownerPids.includes(pid)) : undefined;
          return [row.address.toLowerCase(), { child, fencingToken: Number(row.fencing_token) }];
        }),
      );
    }

    it('both accept and execute; the stopped key holder is taken over; every transfer confirmed once', async () => {
      const [a, b] = children as [RelayerChild, RelayerChild];
      const seed = Number(process.env.TEST_SEED ?? randomBytes(4).readUInt32BE(0));
      const random = seededRandom(seed);
      const started = Date.now();
      const deadline = started + 150_000;

      await sleep(1_000);
      const atStart = await holders();
      const split = children.map(
        (child) => [...atStart.values()].filter((holder) => holder.child === child).length,
      );

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
        requests.push({ key: `pair-${seed}-${r}`, transfers });
      }

      // Even requests to A, odd to B; a request its process does not answer goes to the other.
      const answers: Awaited<ReturnType<typeof postUntilStored>>[] = [];
      const servedBy = [0, 0];
      const client = (async () => {
        for (let i = 0; i < requests.length; i += 2) {
          const round = await Promise.all(
            requests.slice(i, i + 2).map((request, j) => {
              servedBy[j] = (servedBy[j] as number) + 1;
              return postUntilStored(j === 0 ? [a.url, b.url] : [b.url, a.url], request, deadline);
            }),
          );
          answers.push(...round);
          await sleep(150);
        }
      })();

      // What each process says about itself on /metrics, sampled while it runs.
      const seen: Seen[][] = children.map(() => []);
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          await Promise.all(
            children.map(async (child, index) => {
              if (!child.running) return;
              const run = child.pids.length;
              const text = await child.metrics().catch(() => undefined);
              if (text === undefined) return;
              const runs = seen[index] as Seen[];
              runs[run - 1] ??= { inflight: new Set(), batches: 0 };
              const entry = runs[run - 1] as Seen;
              for (const key of inflightKeys(text)) entry.inflight.add(key);
              entry.batches = Math.max(entry.batches, metricSum(text, 'turnpike_relayer_batches_total'));
            }),
          );
          await sleep(250);
        }
      })();

      // Mid-run, kill the process holding the most keys.
      let confirmed = 0;
      const killAt = (0.25 + random() * 0.3) * TRANSFERS;
      while (confirmed < killAt && Date.now() < deadline) {
        await sleep(100);
        confirmed = (await store.countByState()).confirmed;
      }
      await sleep(random() * 700);
      const beforeKill = await holders();
      const victim = [a, b].reduce((most, child) =>
        [...beforeKill.values()].filter((h) => h.child === child).length >
        [...beforeKill.values()].filter((h) => h.child === most).length
          ? child
          : most,
      );
      const survivor = victim === a ? b : a;
      const victimKeys = [...beforeKill].filter(([, holder]) => holder.child === victim).map(([key]) => key);
      const confirmedAtKill = (await store.countByState()).confirmed;
      if (mode === 'kill') await victim.kill();
      else victim.pause();
      const killedAt = Date.now();
      let takeoverMs = Number.NaN;
      while (Date.now() < deadline) {
        const now = await holders();
        if ([...now.values()].every((holder) => holder.child === survivor)) {
          takeoverMs = Date.now() - killedAt;
          break;
        }
        await sleep(100);
      }
      if (mode === 'pause') victim.resume();

      await client;
      let counts = await store.countByState();
      while (counts.confirmed + counts.failed < TRANSFERS && Date.now() < deadline) {
        await sleep(500);
        counts = await store.countByState();
      }
      sampling = false;
      await sampler;
      const context = () =>
        `seed ${seed}; keys at start A/B ${split.join('/')}; ${mode === 'kill' ? 'killed' : 'paused'} ${victim.name} holding ${victimKeys.length} keys at ${confirmedAtKill} confirmed`;

      const ids = answers.flatMap((answer) => answer.ids);
      expect(new Set(ids).size, context()).toBe(TRANSFERS);
      expect(
        counts,
        `${context()}; warnings ${JSON.stringify(children.map((child) => [child.name, child.warnings()]))}`,
      ).toEqual({
        accepted: 0,
        batched: 0,
        signed: 0,
        submitted: 0,
        confirmed: TRANSFERS,
        failed: 0,
      });
      expect(confirmedAtKill, 'the kill hit a run in progress').toBeLessThan(TRANSFERS);

      // Takeover: the survivor holds every key now, the victim's with a newer fencing token.
      const atEnd = await holders();
      const signers = signerAddresses(fixture);
      expect(victimKeys.length, context()).toBeGreaterThan(0);
      for (const key of signers) expect(atEnd.get(key)?.child, `${key}; ${context()}`).toBe(survivor);
      for (const key of victimKeys)
        expect(atEnd.get(key)?.fencingToken, `${key}; ${context()}`).toBeGreaterThan(
          beforeKill.get(key)?.fencingToken as number,
        );
      expect([...survivor.leasedKeys()].sort()).toEqual([...signers].sort());
      // A lease lapses leaseMs after its last renewal, and the survivor looks every leaseMs / 3. A
      // paused holder may sit inside a transaction holding its key rows' locks: PostgreSQL ends
      // that session after idle_in_transaction_session_timeout (storage.pool.statementTimeoutMs).
      expect(takeoverMs, context()).toBeLessThan(
        RELAYER.leaseMs + 3_000 + (mode === 'pause' ? STATEMENT_TIMEOUT_MS : 0),
      );

      // Both processes held keys and sent batches, by their logs and their own /metrics.
      for (const [index, child] of children.entries()) {
        const runs = seen[index] as Seen[];
        expect(child.leasedKeys().size, `${child.name} leased keys; ${context()}`).toBeGreaterThan(0);
        expect(
          runs.reduce((sum, run) => sum + run.inflight.size, 0),
          `${child.name} key_inflight`,
        ).toBeGreaterThan(0);
        expect(
          runs.reduce((sum, run) => sum + run.batches, 0),
          `${child.name} batches_total`,
        ).toBeGreaterThan(0);
      }

      const report = await checkExactlyOnce(fixture, expected, MINT, startNonces);
      expect(await noncesWithTwoBatches(fixture), context()).toEqual([]);
      expect(report.noncesConfirmedTwice, context()).toEqual([]);
      expect(report.batchesConfirmedTwice, context()).toEqual([]);
      expect(report.nonceHoles, context()).toEqual([]);
      expect(report.wrongBalances, `recipients paid other than requested; ${context()}`).toEqual([]);
      expect(report.spent, context()).toBe(report.requested);

      const batches = children.map((_, index) =>
        (seen[index] as Seen[]).reduce((sum, run) => sum + run.batches, 0),
      );
      if (mode === 'pause') {
        // The victim is alive again and answers, yet holds nothing.
        expect(victim.running).toBe(true);
        const metrics = await victim.metrics().catch((err: unknown) => `${err}\n${victim.stderr()}`);
        expect(metrics, 'the paused process is alive after SIGCONT').toMatch(/^# HELP/);
      }
      console.info(
        `two relayers (${mode}): ${context()}; requests A/B ${servedBy.join('/')}, retried ${answers.filter((x) => x.tries > 1).length}; ` +
          `batches sent A/B ${batches.join('/')}; every key held by the survivor ${(takeoverMs / 1000).toFixed(1)} s after the ${mode}; ` +
          `all confirmed after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }, 180_000);
  },
);
