/**
 * Two relayer processes (here two gateways in one test process, each with its own database
 * connection) sharing one database split the signing keys by `relayer.maxKeys`, and each
 * executes transfers with its own keys.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';

let fixture: RelayerFixture;
let second: Gateway | undefined;

beforeAll(async () => {
  fixture = await startRelayerFixture({
    dialect: 'sqlite',
    keys: 4,
    // Small batches, so the work spreads over more keys than one process holds.
    relayer: { maxKeys: 2, leaseMs: 1_500, pollMs: 100, maxBatchSize: 25, maxInFlightPerKey: 2 },
  });
  second = createGateway(fixture.config);
  await second.listen(0, '127.0.0.1');
}, 120_000);
afterAll(async () => {
  await second?.close(1_000);
  await fixture?.close();
});

async function owners(): Promise<Map<string, number>> {
  const rows = await fixture.database.store.db.selectFrom('relayer_keys').select(['owner']).execute();
  const counts = new Map<string, number>();
  for (const row of rows) if (row.owner !== null) counts.set(row.owner, (counts.get(row.owner) ?? 0) + 1);
  return counts;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('each process leases maxKeys keys and both send; a survivor never holds more than maxKeys', async () => {
  await until('both processes to hold two keys', async () => {
    const counts = [...(await owners()).values()];
    return counts.length === 2 && counts.every((count) => count === 2);
  });
  const transfers = Array.from({ length: 400 }, () => ({ token: 'DEMO', to: randomAddress(), amount: '5' }));
  for (let i = 0; i < 8; i++) {
    const answer = await fixture.post(
      '/v1/transfers',
      { transfers: transfers.slice(i * 50, i * 50 + 50) },
      { 'idempotency-key': `split-${i}` },
    );
    expect(answer.status).toBe(202);
  }
  await until(
    'every transfer confirmed',
    async () => {
      const row = await fixture.database.store.db
        .selectFrom('relayer_transfers')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('state', '=', 'confirmed')
        .executeTakeFirst();
      return Number(row?.count) === transfers.length;
    },
    60_000,
  );
  const senders = await fixture.database.store.db
    .selectFrom('relayer_attempts')
    .select('key_address')
    .distinct()
    .where('state', '=', 'confirmed')
    .execute();
  expect(senders.length).toBeGreaterThan(2);
  for (const transfer of transfers.slice(0, 20)) expect(await fixture.balanceOf(transfer.to)).toBe(5n);

  // The second process stops (releasing its keys): the first still holds at most maxKeys.
  await second?.close(1_000);
  second = undefined;
  await until('the survivor alone holding keys', async () => {
    const counts = [...(await owners()).values()];
    return counts.length === 1 && counts[0] === 2;
  });
}, 150_000);
