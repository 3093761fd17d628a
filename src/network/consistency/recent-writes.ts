/**
 * Read-your-writes memory of one session: each transaction sent through Turnpike, by its hash
 * and by its sender, with the upstream that accepted it and, once a read saw it mined, its block.
 * Bounded per session; entries older than the window are ignored and dropped.
 */
import type { Upstream } from '../../upstream/upstream.js';

export interface SentTransaction {
  readonly upstream: Upstream;
  readonly at: number;
  /** Block it was mined in, once a receipt or transaction read said so; -1 until then. */
  block: number;
}

export class RecentWrites {
  /** Lowercase tx hash or sender address → the send (a Map keeps insertion order: oldest first). */
  private readonly byKey = new Map<string, SentTransaction>();

  constructor(
    private readonly windowMs: number,
    private readonly maxSends: number,
  ) {}

  record(hash: string, sender: string | undefined, sent: SentTransaction): void {
    this.put(hash.toLowerCase(), sent);
    if (sender !== undefined) this.put(sender.toLowerCase(), sent);
    // Two keys per send.
    while (this.byKey.size > this.maxSends * 2) {
      const oldest = this.byKey.keys().next().value as string;
      this.byKey.delete(oldest);
    }
  }

  /** The send a transaction hash or sender address names, while within the window. */
  find(key: unknown, now: number): SentTransaction | undefined {
    if (typeof key !== 'string' || this.byKey.size === 0) return undefined;
    const lower = key.toLowerCase();
    const sent = this.byKey.get(lower);
    if (sent === undefined) return undefined;
    if (now - sent.at > this.windowMs) {
      this.byKey.delete(lower);
      return undefined;
    }
    return sent;
  }

  private put(key: string, sent: SentTransaction): void {
    this.byKey.delete(key);
    this.byKey.set(key, sent);
  }
}
