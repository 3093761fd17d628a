/**
 * Relayer webhooks on real parts: anvil, the gateway with the relayer on, and a real HTTP
 * receiver on loopback. Every terminal transfer (confirmed, and failed: a transfer to the zero
 * address, which the demo token refuses) is POSTed once it is stored, signed with
 * `Turnpike-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; a receiver that
 * answers 500 is retried with doubling delays until it takes the delivery, or until
 * `maxAttempts` runs out.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';

const SECRET = 'webhook-test-secret-0123456789';
const RETRY_BASE_MS = 400;
const ZERO = '0x0000000000000000000000000000000000000000';

interface Delivery {
  readonly at: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly raw: string;
  readonly body: Record<string, unknown>;
  readonly answered: number;
}

/** A webhook receiver: answers 500 to the first `failures.get(to)` deliveries for recipient `to`. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  readonly failures = new Map<string, number>();
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        raw += chunk;
      });
      req.on('end', () => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        const to = String(body.to);
        const left = this.failures.get(to) ?? 0;
        const answered = left > 0 ? 500 : 200;
        if (left > 0) this.failures.set(to, left - 1);
        this.deliveries.push({ at: Date.now(), headers: req.headers, raw, body, answered });
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'try later');
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  for(to: string): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.body.to === to);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Checks `Turnpike-Signature` the way a receiver should: HMAC of "t.body", constant-time compare, fresh t. */
function verifySignature(delivery: Delivery): { t: number } {
  const header = delivery.headers['turnpike-signature'];
  expect(typeof header).toBe('string');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header as string);
  expect(match, `malformed signature header ${String(header)}`).not.toBeNull();
  const t = Number(match![1]);
  const expected = createHmac('sha256', SECRET).update(`${t}.${delivery.raw}`).digest();
  expect(timingSafeEqual(Buffer.from(match![2]!, 'hex'), expected)).toBe(true);
  // A receiver rejects stale timestamps (replays); this one was signed just now.
  expect(Math.abs(delivery.at / 1000 - t)).toBeLessThan(5);
  // And a signature made with another secret does not pass.
  const forged = createHmac('sha256', 'another-secret-0123456789').update(`${t}.${delivery.raw}`).digest();
  expect(timingSafeEqual(Buffer.from(match![2]!, 'hex'), forged)).toBe(false);
  return { t };
}

describe('relayer webhooks', () => {
  const receiver = new Receiver();
  let fixture: RelayerFixture;
  let savedSecret: string | undefined;

  beforeAll(async () => {
    // TURNPIKE_WEBHOOK_SECRET would override the configured secret.
    savedSecret = process.env.TURNPIKE_WEBHOOK_SECRET;
    delete process.env.TURNPIKE_WEBHOOK_SECRET;
    const url = await receiver.listen();
    fixture = await startRelayerFixture({
      dialect: 'sqlite',
      keys: 2,
      relayer: {
        webhook: { url, secret: SECRET, retryBaseMs: RETRY_BASE_MS, maxAttempts: 3, timeoutMs: 2_000 },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
    await receiver.close();
    if (savedSecret !== undefined) process.env.TURNPIKE_WEBHOOK_SECRET = savedSecret;
  });

  const waitForDelivered = (to: string, timeout = 30_000) =>
    expect
      .poll(() => receiver.for(to).filter((delivery) => delivery.answered === 200).length, {
        timeout,
        interval: 50,
      })
      .toBeGreaterThanOrEqual(1);

  it('POSTs each terminal transfer, confirmed and failed, signed, with the stored fields', async () => {
    const good = randomAddress();
    // One request, one batch: the zero-address transfer makes it revert, the engine bisects it,
    // the good half confirms and the zero-address transfer alone fails.
    const posted = await fixture.post(
      '/v1/transfers',
      {
        transfers: [
          { token: 'DEMO', to: good, amount: '1234', memo: 'paid' },
          { token: 'DEMO', to: ZERO, amount: '5' },
        ],
      },
      { 'idempotency-key': 'webhooks-terminal' },
    );
    expect(posted.status).toBe(202);
    const [goodId, zeroId] = posted.body.ids as [string, string];

    await waitForDelivered(good);
    await waitForDelivered(ZERO);

    const confirmed = receiver.for(good);
    const failed = receiver.for(ZERO);
    expect(confirmed).toHaveLength(1);
    expect(failed).toHaveLength(1);
    for (const delivery of [...confirmed, ...failed]) {
      expect(delivery.headers['content-type']).toBe('application/json');
      verifySignature(delivery);
    }

    const goodNow = (await fixture.get(`/v1/transfers/${goodId}`)).body;
    expect(goodNow.status).toBe('confirmed');
    expect(confirmed[0]!.body).toEqual({
      id: goodId,
      requestId: posted.body.requestId,
      state: 'confirmed',
      token: fixture.contracts.token,
      to: good,
      amount: '1234',
      txHash: goodNow.txHash,
      blockNumber: goodNow.blockNumber,
      error: null,
      errorCode: null,
      updatedAt: Date.parse(goodNow.updatedAt),
    });
    expect(goodNow.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await fixture.balanceOf(good)).toBe(1234n);

    const zeroNow = (await fixture.get(`/v1/transfers/${zeroId}`)).body;
    expect(zeroNow.status).toBe('failed');
    expect(failed[0]!.body).toEqual({
      id: zeroId,
      requestId: posted.body.requestId,
      state: 'failed',
      token: fixture.contracts.token,
      to: ZERO,
      amount: '5',
      txHash: null,
      blockNumber: null,
      error: zeroNow.error,
      errorCode: 'ERR_RELAYER_TRANSFER_REVERTED',
      updatedAt: Date.parse(zeroNow.updatedAt),
    });
    expect(zeroNow.error).toMatch(/^ERR_RELAYER_TRANSFER_REVERTED: .*transfer to the zero address/);
    expect(zeroNow.errorCode).toBe('ERR_RELAYER_TRANSFER_REVERTED');
  }, 60_000);

  it('retries a receiver that answers 500 twice with growing delays, then delivers the same bytes', async () => {
    const to = randomAddress();
    receiver.failures.set(to, 2);
    const posted = await fixture.post(
      '/v1/transfers',
      { token: 'DEMO', to, amount: '77' },
      { 'idempotency-key': 'webhooks-retry' },
    );
    expect(posted.status).toBe(202);
    await waitForDelivered(to);

    const tries = receiver.for(to);
    expect(tries.map((delivery) => delivery.answered)).toEqual([500, 500, 200]);
    // Every try carries the same stored body, freshly signed.
    expect(new Set(tries.map((delivery) => delivery.raw)).size).toBe(1);
    for (const delivery of tries) verifySignature(delivery);
    expect(tries[0]!.body).toMatchObject({ id: posted.body.id, state: 'confirmed', to, amount: '77' });

    // Delays double from retryBaseMs: at least 400 ms, then at least 800 ms.
    const first = tries[1]!.at - tries[0]!.at;
    const second = tries[2]!.at - tries[1]!.at;
    expect(first).toBeGreaterThanOrEqual(RETRY_BASE_MS - 10);
    expect(second).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS - 10);
    expect(second).toBeGreaterThan(first);
    expect(first).toBeLessThan(RETRY_BASE_MS + 2_000);
  }, 60_000);

  it('gives a delivery up after maxAttempts and counts it in /metrics', async () => {
    const to = randomAddress();
    receiver.failures.set(to, Number.POSITIVE_INFINITY);
    const posted = await fixture.post(
      '/v1/transfers',
      { token: 'DEMO', to, amount: '9' },
      { 'idempotency-key': 'webhooks-abandon' },
    );
    expect(posted.status).toBe(202);
    await expect.poll(() => receiver.for(to).length, { timeout: 30_000, interval: 50 }).toBe(3);
    // maxAttempts is 3: no fourth try, even after the next delay (1.6 s) has passed.
    await new Promise((resolve) => setTimeout(resolve, 4 * RETRY_BASE_MS + 500));
    expect(receiver.for(to)).toHaveLength(3);

    const metrics = await (await fetch(`${fixture.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^turnpike_relayer_webhooks_total\{result="abandoned"\} 1$/m);
    expect(metrics).toMatch(/^turnpike_relayer_webhooks_total\{result="failed"\} 5$/m);
    expect(metrics).toMatch(/^turnpike_relayer_webhooks_total\{result="delivered"\} 3$/m);
  }, 60_000);
});
