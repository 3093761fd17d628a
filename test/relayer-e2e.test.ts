/**
 * The relayer end to end on real parts: anvil mining a block a second, 8 signing keys, the
 * gateway's own pipeline, SQLite and PostgreSQL. Every accepted transfer must be on chain
 * exactly once: each recipient's balance equals the sum requested for it, to the unit.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlRelayerStore } from '../src/relayer/sql-relayer-store.js';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';

const TRANSFERS = 10_000;
const PER_REQUEST = 100;
const RECIPIENTS = 1_000;

describe.each(['sqlite', 'postgres'] as const)('relayer on %s: 10,000 transfers over 8 keys', (dialect) => {
  let fixture: RelayerFixture;
  let store: SqlRelayerStore;

  beforeAll(async () => {
    fixture = await startRelayerFixture({ dialect, keys: 8 });
    store = new SqlRelayerStore(fixture.database.store, { webhooks: false });
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('confirms every transfer exactly once: balances equal the sums requested', async () => {
    const recipients = Array.from({ length: RECIPIENTS }, () => randomAddress());
    const expected = new Map<string, bigint>();
    const requests: { key: string; transfers: { token: string; to: string; amount: string }[] }[] = [];
    for (let r = 0; r < TRANSFERS / PER_REQUEST; r++) {
      const transfers = Array.from({ length: PER_REQUEST }, (_, i) => {
        const to = recipients[(r * PER_REQUEST + i) % RECIPIENTS] as string;
        const amount = BigInt(1 + randomBytes(3).readUIntBE(0, 3));
        expected.set(to, (expected.get(to) ?? 0n) + amount);
        return { token: 'DEMO', to, amount: amount.toString() };
      });
      requests.push({ key: `e2e-${dialect}-${r}`, transfers });
    }
    // Ten clients at a time; each request is answered only once it is stored.
    const ids: string[] = [];
    for (let i = 0; i < requests.length; i += 10) {
      const answers = await Promise.all(
        requests
          .slice(i, i + 10)
          .map((request) =>
            fixture.post(
              '/v1/transfers',
              { transfers: request.transfers },
              { 'idempotency-key': request.key },
            ),
          ),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(202);
        ids.push(...answer.body.ids);
      }
    }
    expect(new Set(ids).size).toBe(TRANSFERS);

    const deadline = Date.now() + 150_000;
    let counts = await store.countByState();
    while (counts.confirmed + counts.failed < TRANSFERS && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      counts = await store.countByState();
    }
    expect(counts).toMatchObject({ confirmed: TRANSFERS, failed: 0, accepted: 0, submitted: 0 });

    const balances = await Promise.all(recipients.map((to) => fixture.balanceOf(to)));
    const wrong = recipients.filter((to, index) => balances[index] !== (expected.get(to) ?? 0n));
    expect(wrong, 'recipients whose balance differs from the sum requested').toEqual([]);

    // Every transfer names the transaction and block that carried it.
    const sample = await fixture.get(`/v1/transfers/${ids[ids.length - 1]}`);
    expect(sample.status).toBe(200);
    expect(sample.body).toMatchObject({ status: 'confirmed' });
  }, 240_000);
});
