/**
 * Delivers the webhook outbox: every transfer that reached `confirmed` or `failed` has a row,
 * written in the same transaction as the state change, so no terminal state is missed even
 * across crashes. Each POST carries `Turnpike-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "<t>.<body>">` so receivers can check origin and freshness. A failed delivery is retried
 * with exponential backoff (doubling from `retryBaseMs`, capped at 10 minutes) until
 * `maxAttempts`, then marked abandoned. Receivers must treat deliveries as at-least-once
 * (the transfer id is the idempotency key).
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { Logger } from '../../logging/logger.js';
import type { RelayerStore } from '../relayer-store.js';

export interface WebhookSettings {
  readonly url: string;
  readonly secret: string;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly timeoutMs: number;
}

const BATCH = 50;
const IDLE_MS = 250;
const MAX_DELAY_MS = 10 * 60_000;

export class WebhookStats {
  delivered = 0;
  failed = 0;
  abandoned = 0;
}

export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export class WebhookSender {
  readonly stats = new WebhookStats();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: RelayerStore,
    private readonly settings: WebhookSettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let sent = 0;
      try {
        const due = await this.store.claimWebhooks(Date.now(), BATCH, this.settings.timeoutMs * 2);
        await Promise.all(
          due.map((delivery) => this.deliver(delivery.id, delivery.payload, delivery.attempts)),
        );
        sent = due.length;
      } catch (err) {
        this.log.warn({ err }, 'relayer webhook round failed');
      }
      if (sent < BATCH) await this.sleep(IDLE_MS);
    }
  }

  private async deliver(id: string, payload: string, attempts: number): Promise<void> {
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const response = await request(this.settings.url, {
        method: 'POST',
        body: payload,
        headers: {
          'content-type': 'application/json',
          'turnpike-signature': webhookSignature(this.settings.secret, timestamp, payload),
        },
        headersTimeout: this.settings.timeoutMs,
        bodyTimeout: this.settings.timeoutMs,
      });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await this.store.webhookDelivered(id, Date.now());
        this.stats.delivered++;
        return;
      }
      throw new Error(`webhook answered HTTP ${response.statusCode}`);
    } catch (err) {
      const tries = attempts + 1;
      const abandon = tries >= this.settings.maxAttempts;
      const delay = Math.min(MAX_DELAY_MS, this.settings.retryBaseMs * 2 ** (tries - 1));
      await this.store.webhookFailed(id, Date.now() + delay, abandon).catch(() => undefined);
      this.stats.failed++;
      if (abandon) {
        this.stats.abandoned++;
        this.log.error({ err, webhook: id }, 'relayer webhook abandoned after its last attempt');
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}
