/**
 * Drops a Redis connection that has gone silent, so its commands fail at once instead of each
 * waiting out its timeout. A partition (packets dropped, no RST) leaves the TCP connection open:
 * ioredis keeps writing to it and every command times out, and once the network heals the
 * kernel resends only at its backed-off retransmission times (tens of seconds after a 30-s
 * partition), so the old connection stays useless long after Redis is reachable. Reconnecting
 * turns both into the "Redis down" case: while the new connection is not ready, fail-fast
 * clients reject commands at once, and the first connect after the heal succeeds.
 *
 * Silent means: at least `after` command timeouts in a row, the first of them at least `quietMs`
 * ago, and no answer in between; so a busy Redis (or a starved host) that answers late but
 * answers is not reconnected. An answer costs one comparison: no clock is read for it.
 */
import type { RedisClient } from './redis.js';

export interface SilentRedisGuardOptions {
  /** Consecutive timeouts before the connection may be dropped. @default 3 */
  after?: number;
  /** And the first of them at least this long ago. @default 1000 */
  quietMs?: number;
  /** Told each time the connection is dropped. Must not throw. */
  onReconnect?: () => void;
  /** Clock in ms. @default performance.now */
  now?: () => number;
}

/** ioredis's message for a command that passed `commandTimeout`. */
export function isCommandTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Command timed out';
}

export class SilentRedisGuard {
  readonly #client: RedisClient;
  readonly #after: number;
  readonly #quietMs: number;
  readonly #onReconnect: (() => void) | undefined;
  readonly #now: () => number;
  #timeouts = 0;
  /** When the current run of timeouts began. */
  #firstTimeout = 0;
  /** Connections dropped so far. */
  reconnects = 0;

  constructor(client: RedisClient, options: SilentRedisGuardOptions = {}) {
    this.#client = client;
    this.#after = options.after ?? 3;
    this.#quietMs = options.quietMs ?? 1_000;
    this.#onReconnect = options.onReconnect;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Redis answered (an error reply is an answer too). */
  answered(): void {
    if (this.#timeouts !== 0) this.#timeouts = 0;
  }

  /** A command failed; only timeouts count towards silence. */
  failed(err: unknown): void {
    if (!isCommandTimeout(err)) return;
    const now = this.#now();
    if (this.#timeouts++ === 0) this.#firstTimeout = now;
    if (this.#timeouts < this.#after || now - this.#firstTimeout < this.#quietMs) return;
    // A new run: the new connection gets its own quiet period before another drop.
    this.#timeouts = 0;
    this.reconnects++;
    try {
      this.#onReconnect?.();
    } catch {
      // A broken hook must not stop the reconnect.
    }
    // Rejects what waits on the old connection; reconnects with the client's retry strategy.
    this.#client.disconnect(true);
  }
}
