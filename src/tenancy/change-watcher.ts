/**
 * Tells this process when keys, plans or projects changed anywhere: a Redis pub/sub notice
 * (immediate, from any instance or the CLI) when Redis is configured, and always a cheap poll
 * of the database's change counter, which also covers writers that have no Redis.
 */
import type { Logger } from '../logging/logger.js';
import type { RedisClient } from '../store/redis.js';
import type { TenancyStore } from './model.js';

export const CHANGE_CHANNEL = 'tenancy:changes';

export interface ChangeWatcherOptions {
  pollMs: number;
  /** A dedicated connection for SUBSCRIBE (a subscribed connection can do nothing else). */
  subscriber?: RedisClient;
  channelPrefix?: string;
}

/** How long `start` waits for the Redis subscription before it goes on without it. */
const SUBSCRIBE_WAIT_MS = 2_000;

export class ChangeWatcher {
  private version = -1;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<TenancyStore, 'changeVersion'>,
    private readonly onChange: () => Promise<void>,
    private readonly log: Logger,
    private readonly options: ChangeWatcherOptions,
  ) {}

  async start(): Promise<void> {
    this.version = await this.store.changeVersion();
    this.timer = setInterval(() => void this.check(), this.options.pollMs);
    this.timer.unref();
    const subscriber = this.options.subscriber;
    if (subscriber !== undefined) {
      const channel = `${this.options.channelPrefix ?? ''}${CHANGE_CHANNEL}`;
      subscriber.on('message', (received: string) => {
        if (received === channel) void this.check(true);
      });
      const subscribed = subscriber.subscribe(channel).catch((err: unknown) => {
        this.log.warn({ err }, 'cannot subscribe to tenancy changes in Redis; polling the database only');
      });
      // Waited for only so long: a Redis that takes the connection and never answers (a
      // partition) would hold the start forever; the database poll covers changes meanwhile.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
      });
      await Promise.race([subscribed, waited]);
      clearTimeout(timer);
    }
  }

  /**
   * Checks now; `force` refreshes even if the counter has not moved (a notice may beat the
   * commit). While a check runs, another is queued and the caller waits for that one, since
   * the running check may have read the counter before the caller's change was committed.
   */
  check(force = false): Promise<void> {
    if (this.running === undefined) {
      this.running = this.run(force).finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.check(true);
    });
    return this.queued;
  }

  private async run(force: boolean): Promise<void> {
    try {
      const version = await this.store.changeVersion();
      if (version === this.version && !force) return;
      this.version = version;
      await this.onChange();
    } catch (err) {
      this.log.warn({ err }, 'tenancy change check failed; cached keys stay in use');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    this.options.subscriber?.disconnect();
  }
}

/** Publishes a change notice so every instance refreshes at once instead of at its next poll. */
export async function publishChange(publisher: RedisClient | undefined, prefix: string): Promise<void> {
  if (publisher === undefined) return;
  await publisher.publish(`${prefix}${CHANGE_CHANNEL}`, String(Date.now())).catch(() => undefined);
}
