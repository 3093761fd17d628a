/**
 * The routes for teams moving from a NEAR `/send-ft` token service, on real parts with the engine
 * running (anvil mining a block a second, SQLite, tenancy on): `?wait=` answering 200 with the
 * transaction hash once the transfers got there (422 when one failed, the stored transfers again
 * on a replay), and `GET /transfer/tx/{txHash}` scoped to the caller's project.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path and assert on what they find.
  readonly body: any;
}

const TX_HASH = /^0x[0-9a-f]{64}$/;
const ZERO = `0x${'0'.repeat(40)}`;
const key = () => `k-${randomBytes(8).toString('hex')}`;

describe('relayer ?wait= and /transfer/tx/{txHash} with the engine running', () => {
  let fixture: RelayerFixture;
  const adminToken = randomBytes(16).toString('hex');
  let a: string;
  let b: string;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const res = await fetch(`${fixture.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  }

  async function projectKey(): Promise<string> {
    const admin = { authorization: `Bearer ${adminToken}` };
    const name = key();
    expect((await call('POST', '/admin/v1/plans', { name }, admin)).status).toBe(201);
    expect((await call('POST', '/admin/v1/projects', { name, plan: name }, admin)).status).toBe(201);
    const issued = await call('POST', '/admin/v1/keys', { project: name, name: 'main' }, admin);
    expect(issued.status).toBe(201);
    return issued.body.secret;
  }

  beforeAll(async () => {
    fixture = await startRelayerFixture({
      dialect: 'sqlite',
      keys: 2,
      extra: { tenancy: { enabled: true, adminToken, usageFlushMs: 60_000 } },
    });
    a = await projectKey();
    b = await projectKey();
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('confirmed: 200 with the tx hash; a replay with wait answers the stored transfer', async () => {
    const to = randomAddress();
    const k = key();
    const headers = { 'x-api-key': a, 'idempotency-key': k };
    const body = { token: 'DEMO', to, amount: '1234' };
    const res = await call('POST', '/v1/transfers?wait=confirmed&timeoutMs=30000', body, headers);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      requestId: expect.any(String),
      status: 'confirmed',
    });
    expect(res.body.txHash).toMatch(TX_HASH);
    expect(res.body.blockNumber).toBeGreaterThan(0);
    expect(await fixture.balanceOf(to)).toBe(1234n);
    const read = await call('GET', `/v1/transfers/${res.body.id}`, undefined, { 'x-api-key': a });
    expect(read.body).toMatchObject({ status: 'confirmed', txHash: res.body.txHash });

    const replay = await call('POST', '/v1/transfers?wait=confirmed&timeoutMs=30000', body, headers);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(res.body);
    // Stored once: the balance did not move again.
    expect(await fixture.balanceOf(to)).toBe(1234n);
  });

  it('/send-ft with wait answers 200 with the transactionHash; a batch lists each transfer', async () => {
    const to = randomAddress();
    const ft = await call(
      'POST',
      '/send-ft?wait=submitted',
      { receiverId: to, amount: '5' },
      { 'x-api-key': a },
    );
    expect(ft.status).toBe(200);
    expect(ft.body).toMatchObject({ jobId: expect.any(String), transferIds: [expect.any(String)] });
    expect(['processing', 'completed']).toContain(ft.body.status);
    expect(ft.body.transactionHash).toMatch(TX_HASH);
    expect(ft.body.transfers[0]).toMatchObject({ receiverId: to, transactionHash: ft.body.transactionHash });

    const batch = await call(
      'POST',
      '/v1/transfers?wait=confirmed',
      {
        transfers: [
          { token: 'DEMO', to: randomAddress(), amount: '1' },
          { token: 'DEMO', to: randomAddress(), amount: '2' },
        ],
      },
      { 'x-api-key': a, 'idempotency-key': key() },
    );
    expect(batch.status).toBe(200);
    expect(batch.body.status).toBe('confirmed');
    expect(batch.body.transfers.map((t: { id: string }) => t.id)).toEqual(batch.body.ids);
    for (const transfer of batch.body.transfers) {
      expect(transfer.status).toBe('confirmed');
      expect(transfer.txHash).toMatch(TX_HASH);
    }
  });

  it('failed: 422 ERR_RELAYER_TRANSFER_FAILED with the failure of each transfer', async () => {
    const res = await call(
      'POST',
      '/v1/transfers?wait=confirmed&timeoutMs=30000',
      { token: 'DEMO', to: ZERO, amount: '1' },
      { 'x-api-key': a, 'idempotency-key': key() },
    );
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('ERR_RELAYER_TRANSFER_FAILED');
    expect(res.body.error.requestId).toEqual(expect.any(String));
    expect(res.body.error.transfers).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: expect.stringMatching(/^ERR_RELAYER_TRANSFER_REVERTED/),
      }),
    ]);
  });

  it("GET /transfer/tx/{txHash}: the caller's transfers in it; 404 for another project or an unknown hash; 400 for a malformed one", async () => {
    const to = randomAddress();
    const sent = await call(
      'POST',
      '/send-ft?wait=confirmed',
      { receiverId: to, amount: '77', memo: 'tx' },
      { 'x-api-key': a },
    );
    expect(sent.status).toBe(200);
    const hash: string = sent.body.transactionHash;
    expect(hash).toMatch(TX_HASH);

    const mine = await call('GET', `/transfer/tx/${hash.toUpperCase().replace('0X', '0x')}`, undefined, {
      'x-api-key': a,
    });
    expect(mine.status).toBe(200);
    expect(mine.body.transactionHash).toBe(hash);
    expect(mine.body.transfers).toContainEqual(
      expect.objectContaining({
        id: sent.body.transferIds[0],
        jobId: sent.body.jobId,
        receiverId: to,
        amount: '77',
        memo: 'tx',
        status: 'confirmed',
        transactionHash: hash,
      }),
    );

    const theirs = await call('GET', `/transfer/tx/${hash}`, undefined, { 'x-api-key': b });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('ERR_RELAYER_NOT_FOUND');
    const unknown = await call('GET', `/transfer/tx/0x${randomBytes(32).toString('hex')}`, undefined, {
      'x-api-key': a,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('ERR_RELAYER_NOT_FOUND');
    const malformed = await call('GET', '/transfer/tx/0x1234', undefined, { 'x-api-key': a });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('ERR_RELAYER_INVALID');
    expect(malformed.body.error.issues).toEqual([
      { path: 'txHash', message: expect.stringMatching(/64 hex/) },
    ]);
    expect((await call('GET', `/transfer/tx/${hash}`)).status).toBe(401);
  });
});
