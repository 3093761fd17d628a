/**
 * The engine and reconciler under real faults on anvil: a stuck transaction gets a fee bump, a
 * nonce taken by another transaction sends its batch again, bytes no node will take are
 * replaced by a no-op, a reorg before `confirmations` sends a transfer again, and an upstream
 * failing mid-run loses and doubles nothing. Every case
 * ends with the recipient's on-chain balance equal to what was requested, exactly once.
 */
import { privateKeyToAccount } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlRelayerStore } from '../src/relayer/sql-relayer-store.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { type RelayerFixture, randomAddress, rpc, startRelayerFixture } from './support/relayer-fixture.js';

let fixture: RelayerFixture | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await fixture?.close();
  await proxy?.close();
  fixture = undefined;
  proxy = undefined;
});

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function attempts(f: RelayerFixture) {
  return f.database.store.db.selectFrom('relayer_attempts').selectAll().orderBy('created_at').execute();
}

async function stopMining(f: RelayerFixture): Promise<void> {
  await rpc(f.anvil.url, 'evm_setIntervalMining', [0]);
  await rpc(f.anvil.url, 'evm_setAutomine', [false]);
}

async function postOne(f: RelayerFixture, to: string, amount: bigint, key: string): Promise<string> {
  const answer = await f.post(
    '/v1/transfers',
    { token: 'DEMO', to, amount: amount.toString() },
    { 'idempotency-key': key },
  );
  expect(answer.status).toBe(202);
  return answer.body.id as string;
}

async function confirmed(f: RelayerFixture, id: string, timeoutMs = 30_000): Promise<any> {
  return until(
    `transfer ${id} confirmed`,
    async () => {
      const { body } = await f.get(`/v1/transfers/${id}`);
      if (body.status === 'failed') throw new Error(`transfer failed: ${body.error}`);
      return body.status === 'confirmed' ? body : undefined;
    },
    timeoutMs,
  );
}

describe('relayer engine under faults (anvil, SQLite)', () => {
  it('re-signs a stuck transaction at the same nonce with fees at least 10 % higher; one of them confirms', async () => {
    fixture = await startRelayerFixture({
      dialect: 'sqlite',
      keys: 1,
      relayer: { stuckAfterMs: 1_500, pollMs: 100, feeBumpPercent: 12.5 },
    });
    await stopMining(fixture);
    const to = randomAddress();
    const id = await postOne(fixture, to, 777n, 'stuck-1');
    const bumped = await until('a fee bump', async () => {
      const rows = await attempts(fixture as RelayerFixture);
      return rows.length >= 2 ? rows : undefined;
    });
    const [first, second] = bumped;
    expect(second?.nonce).toBe(first?.nonce);
    expect(BigInt(second?.max_fee ?? 0) * 1000n).toBeGreaterThanOrEqual(BigInt(first?.max_fee ?? 0) * 1125n);
    expect(BigInt(second?.max_priority_fee ?? 0) * 1000n).toBeGreaterThanOrEqual(
      BigInt(first?.max_priority_fee ?? 0) * 1125n,
    );
    await rpc(fixture.anvil.url, 'evm_setIntervalMining', [1]);
    const transfer = await confirmed(fixture, id);
    expect(await fixture.balanceOf(to)).toBe(777n);
    const rows = await attempts(fixture);
    const atNonce = rows.filter((row) => row.nonce === first?.nonce);
    expect(atNonce.filter((row) => row.state === 'confirmed')).toHaveLength(1);
    expect(atNonce.find((row) => row.state === 'confirmed')?.hash).toBe(transfer.txHash);
  }, 60_000);

  it('settles only `confirmations` blocks deep; a reorg before then puts the transfer back in flight, and it lands once', async () => {
    fixture = await startRelayerFixture({
      dialect: 'sqlite',
      keys: 1,
      relayer: { confirmations: 3, pollMs: 100, reconcileMs: 300, stuckAfterMs: 1_000 },
    });
    await stopMining(fixture);
    const url = fixture.anvil.url;
    const to = randomAddress();
    const id = await postOne(fixture, to, 555n, 'deep-1');
    const ours = await until('our attempt submitted', async () =>
      (await attempts(fixture as RelayerFixture)).find((row) => row.state === 'submitted'),
    );
    await rpc(url, 'evm_mine', []);
    await rpc(url, 'evm_mine', []);
    const mined = await rpc(url, 'eth_getTransactionReceipt', [ours.hash]);
    expect(mined?.status).toBe('0x1');
    // Two blocks deep is not three: polled over and over, the transfer stays unconfirmed.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await fixture.get(`/v1/transfers/${id}`)).body.status).toBe('submitted');
    expect(await fixture.balanceOf(to)).toBe(555n);

    // Both blocks are replaced by empty ones: the transfer is no longer on chain.
    await rpc(url, 'anvil_reorg', [2, []]);
    expect(await rpc(url, 'eth_getTransactionReceipt', [ours.hash])).toBeNull();
    expect(await fixture.balanceOf(to)).toBe(0n);
    await rpc(url, 'evm_setIntervalMining', [1]);
    const transfer = await confirmed(fixture, id, 45_000);
    const head = Number.parseInt(await rpc(url, 'eth_blockNumber', []), 16);
    expect(head - transfer.blockNumber + 1).toBeGreaterThanOrEqual(3);
    const receipt = await rpc(url, 'eth_getTransactionReceipt', [transfer.txHash]);
    expect(Number.parseInt(receipt.blockNumber, 16)).toBe(transfer.blockNumber);
    expect(Number.parseInt(mined.blockNumber, 16)).toBeLessThanOrEqual(transfer.blockNumber);
    expect(await fixture.balanceOf(to)).toBe(555n);
    const atNonce = (await attempts(fixture)).filter((row) => row.nonce === ours.nonce);
    expect(atNonce.filter((row) => row.state === 'confirmed')).toHaveLength(1);
  }, 90_000);

  it('a nonce taken by another transaction sends the batch again at a later nonce, exactly once', async () => {
    fixture = await startRelayerFixture({
      dialect: 'sqlite',
      keys: 1,
      relayer: { pollMs: 100, reconcileMs: 300, stuckAfterMs: 600_000 },
    });
    await stopMining(fixture);
    const to = randomAddress();
    const id = await postOne(fixture, to, 4242n, 'taken-1');
    const ours = await until('our attempt submitted', async () =>
      (await attempts(fixture as RelayerFixture)).find((row) => row.state === 'submitted'),
    );
    // Someone else with the key takes the nonce, paying far more, so the node replaces ours.
    const account = privateKeyToAccount(fixture.keys[0] as `0x${string}`);
    const raw = await account.signTransaction({
      type: 'eip1559',
      chainId: 31337,
      nonce: ours.nonce,
      to: account.address,
      value: 0n,
      gas: 21_000n,
      maxFeePerGas: BigInt(ours.max_fee) * 10n,
      maxPriorityFeePerGas: BigInt(ours.max_priority_fee) * 10n,
    });
    await rpc(fixture.anvil.url, 'eth_sendRawTransaction', [raw]);
    await rpc(fixture.anvil.url, 'evm_mine', []);
    await rpc(fixture.anvil.url, 'evm_setIntervalMining', [1]);
    const transfer = await confirmed(fixture, id, 45_000);
    expect(await fixture.balanceOf(to)).toBe(4242n);
    const rows = await attempts(fixture);
    expect(rows.find((row) => row.id === ours.id)?.state).toBe('dropped');
    const winner = rows.find((row) => row.state === 'confirmed');
    expect(winner?.nonce).toBe(ours.nonce + 1);
    expect(winner?.hash).toBe(transfer.txHash);
  }, 90_000);

  it('bytes every node refuses are replaced by a no-op at their nonce, then the batch goes again', async () => {
    fixture = await startRelayerFixture({
      dialect: 'sqlite',
      keys: 1,
      relayer: { pollMs: 100, reconcileMs: 200, stuckAfterMs: 600_000 },
    });
    await stopMining(fixture);
    const to = randomAddress();
    const id = await postOne(fixture, to, 99n, 'gap-1');
    const ours = await until('our attempt submitted', async () =>
      (await attempts(fixture as RelayerFixture)).find((row) => row.state === 'submitted'),
    );
    // The node forgets it and will no longer take it: blocks are now too small for a batch.
    await rpc(fixture.anvil.url, 'anvil_dropTransaction', [ours.hash]);
    await rpc(fixture.anvil.url, 'evm_setBlockGasLimit', ['0xc350']); // 50,000 gas
    const noop = await until('a no-op at the nonce', async () =>
      (await attempts(fixture as RelayerFixture)).find((row) => row.kind === 'noop'),
    );
    expect(noop.nonce).toBe(ours.nonce);
    await rpc(fixture.anvil.url, 'evm_setBlockGasLimit', ['0x11e1a300']); // 300,000,000 again
    await rpc(fixture.anvil.url, 'evm_mine', []);
    await rpc(fixture.anvil.url, 'evm_setIntervalMining', [1]);
    const transfer = await confirmed(fixture, id, 45_000);
    expect(await fixture.balanceOf(to)).toBe(99n);
    const rows = await attempts(fixture);
    const winner = rows.find((row) => row.state === 'confirmed');
    expect(winner?.hash).toBe(transfer.txHash);
    expect(winner?.nonce).toBeGreaterThan(ours.nonce);
    const metrics = await (await fetch(`${fixture.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/turnpike_relayer_nonce_gaps_total 1\b/);
  }, 90_000);

  it('an upstream failing mid-run (resets, 502s, garbage) loses and doubles nothing', async () => {
    fixture = await startRelayerFixture({
      dialect: 'sqlite',
      keys: 4,
      relayer: { pollMs: 200, reconcileMs: 1_000 },
      upstreamUrl: async (anvilUrl) => {
        proxy = await startFaultProxy(anvilUrl, { countMethods: false });
        return proxy.url;
      },
    });
    const store = new SqlRelayerStore(fixture.database.store, { webhooks: false });
    const expected = new Map<string, bigint>();
    const recipients = Array.from({ length: 200 }, () => randomAddress());
    const requests = Array.from({ length: 10 }, (_, r) =>
      Array.from({ length: 100 }, (_, i) => {
        const to = recipients[(r * 100 + i) % recipients.length] as string;
        const amount = BigInt(1 + ((r * 100 + i) % 997));
        expect(to).toBeDefined();
        expected.set(to, (expected.get(to) ?? 0n) + amount);
        return { token: 'DEMO', to, amount: amount.toString() };
      }),
    );
    // The faults start before the first transfer, so every stage (estimate, broadcast,
    // receipts, reconcile) meets them; requests keep arriving while they last.
    const active = proxy as FaultProxy;
    active.setFault({ kind: 'reset', probability: 0.3 });
    for (const [r, transfers] of requests.entries()) {
      const answer = await fixture.post('/v1/transfers', { transfers }, { 'idempotency-key': `faults-${r}` });
      expect(answer.status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    active.setFault({ kind: 'status', status: 502, probability: 0.3 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    active.setFault({ kind: 'garbage', probability: 0.3 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    active.setFault(null);
    const counts = await until(
      'every transfer settled',
      async () => {
        const now = await store.countByState();
        return now.confirmed + now.failed === 1_000 ? now : undefined;
      },
      90_000,
    );
    expect(counts.failed).toBe(0);
    const wrong: string[] = [];
    for (const to of recipients) if ((await fixture.balanceOf(to)) !== expected.get(to)) wrong.push(to);
    expect(wrong).toEqual([]);
    expect(active.stats.faulted).toBeGreaterThan(0);
  }, 180_000);
});
