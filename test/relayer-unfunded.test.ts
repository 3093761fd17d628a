/**
 * Transfers no key can pay, on real parts: anvil, two signing keys holding 10^24 DEMO each, the
 * gateway with the relayer on, a webhook receiver on loopback, SQLite and PostgreSQL. A
 * transfer above every key's balance must not stop the queue: the transfers behind it confirm,
 * a request whose total is above any one key's balance is spread over batches the keys can pay,
 * and the unpayable transfer ends `failed` with ERR_RELAYER_INSUFFICIENT_FUNDS once it waited
 * `relayer.unfundedTimeoutMs`, announced by its webhook.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';

const SECRET = 'unfunded-test-secret-0123456789';
const HELD = 10n ** 24n;
const UNFUNDED_TIMEOUT_MS = 3_000;
const ZERO = '0x0000000000000000000000000000000000000000';

/** Collects webhook deliveries (answers 200). */
class Receiver {
  readonly bodies: Record<string, unknown>[] = [];
  private readonly server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => {
      this.bodies.push(JSON.parse(raw) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe.each(['sqlite', 'postgres'] as const)('relayer on %s: a transfer no key can pay', (dialect) => {
  const receiver = new Receiver();
  let fixture: RelayerFixture;
  let savedSecret: string | undefined;

  beforeAll(async () => {
    savedSecret = process.env.TURNPIKE_WEBHOOK_SECRET;
    delete process.env.TURNPIKE_WEBHOOK_SECRET;
    fixture = await startRelayerFixture({
      dialect,
      keys: 2,
      mintPerSigner: HELD,
      relayer: {
        unfundedTimeoutMs: UNFUNDED_TIMEOUT_MS,
        webhook: { url: await receiver.listen(), secret: SECRET, retryBaseMs: 200 },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
    await receiver.close();
    if (savedSecret !== undefined) process.env.TURNPIKE_WEBHOOK_SECRET = savedSecret;
  });

  const status = async (id: string) => (await fixture.get(`/v1/transfers/${id}`)).body;
  const settled = (id: string) =>
    expect
      .poll(async () => (await status(id)).status, { timeout: 60_000, interval: 100 })
      .toMatch(/^(confirmed|failed)$/);

  it('fails it after the wait, with its webhook, and every transfer behind it goes on', async () => {
    const whale = randomAddress();
    const first = await fixture.post(
      '/v1/transfers',
      { token: 'DEMO', to: whale, amount: (2n * HELD).toString() },
      { 'idempotency-key': `unfunded-${dialect}-whale` },
    );
    expect(first.status).toBe(202);
    const whaleId = first.body.id as string;

    // Behind it: three transfers whose total (1.2 × 10^24) no single key holds, a transfer the
    // token refuses (to the zero address), and an ordinary one.
    const shared = [randomAddress(), randomAddress(), randomAddress()];
    const normal = randomAddress();
    const second = await fixture.post(
      '/v1/transfers',
      {
        transfers: [
          ...shared.map((to) => ({ token: 'DEMO', to, amount: ((4n * HELD) / 10n).toString() })),
          { token: 'DEMO', to: ZERO, amount: '5' },
          { token: 'DEMO', to: normal, amount: '1000' },
        ],
      },
      { 'idempotency-key': `unfunded-${dialect}-rest` },
    );
    expect(second.status).toBe(202);
    const [aId, bId, cId, zeroId, normalId] = second.body.ids as string[];

    for (const id of [normalId!, aId!, bId!, cId!, zeroId!]) await settled(id);
    expect((await status(normalId!)).status).toBe('confirmed');
    for (const id of [aId!, bId!, cId!]) expect((await status(id)).status).toBe('confirmed');
    expect(await fixture.balanceOf(normal)).toBe(1000n);
    for (const to of shared) expect(await fixture.balanceOf(to)).toBe((4n * HELD) / 10n);
    expect(await status(zeroId!)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^ERR_RELAYER_TRANSFER_REVERTED: would revert: .*zero address/),
    });

    await settled(whaleId);
    const failed = await status(whaleId);
    expect(failed).toMatchObject({
      status: 'failed',
      txHash: null,
      error: expect.stringMatching(/^ERR_RELAYER_INSUFFICIENT_FUNDS: /),
    });
    // It waited at least the configured time (counted from when a key first found it unpayable).
    expect(Date.parse(failed.updatedAt) - Date.parse(failed.createdAt)).toBeGreaterThanOrEqual(
      UNFUNDED_TIMEOUT_MS,
    );
    expect(await fixture.balanceOf(whale)).toBe(0n);

    await expect
      .poll(() => receiver.bodies.filter((body) => body.id === whaleId).length, { timeout: 30_000 })
      .toBe(1);
    expect(receiver.bodies.find((body) => body.id === whaleId)).toMatchObject({
      state: 'failed',
      to: whale,
      amount: (2n * HELD).toString(),
      txHash: null,
      error: failed.error,
    });
  }, 120_000);
});
