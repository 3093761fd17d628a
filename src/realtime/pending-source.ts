/**
 * The source of `newPendingTransactions` for one network: one `eth_subscribe
 * newPendingTransactions` on one upstream's WebSocket endpoint, held while the feed has pending
 * subscribers. When that socket drops (or the node refuses the subscription) the source moves to
 * the next upstream with a `wsUrl`, preferring ones available for traffic, after a bounded,
 * jittered backoff. Hashes seen lately are remembered (a bounded set), so a hash the new upstream
 * announces again after a switch is not passed on twice. Mempools differ between nodes: this is
 * best effort, with no ordering or exactly-once guarantee (docs/subscriptions.md).
 */
import type { Upstream } from '../upstream/upstream.js';
import { UpstreamSubscription, type UpstreamSubscriptionOptions } from '../upstream/upstream-subscription.js';

export interface PendingSourceOptions {
  /** Upstreams with a `wsUrl`, in configuration order (at least one). */
  readonly upstreams: readonly Upstream[];
  readonly onHash: (hash: string) => void;
  /** Told when the source's subscription comes up or goes down (logs). */
  readonly onState?: (upstream: string, alive: boolean, why?: string) => void;
  /** Hashes remembered to drop repeats. @default 16384 */
  readonly recent?: number;
  readonly socket?: Pick<
    UpstreamSubscriptionOptions<string>,
    'backoffMs' | 'maxBackoffMs' | 'pingMs' | 'connectTimeoutMs'
  >;
}

export interface PendingSourceStats {
  readonly hashes: number;
  readonly duplicates: number;
  /** Moves to another upstream after a drop. */
  readonly switches: number;
  readonly upstream: string | undefined;
}

const HASH = /^0x[0-9a-fA-F]{64}$/;

export class PendingSource {
  private current: { readonly upstream: Upstream; readonly socket: UpstreamSubscription<string> } | undefined;
  private next = 0;
  private running = false;
  private switchTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private oldest = 0;
  private readonly counts = { hashes: 0, duplicates: 0, switches: 0 };

  constructor(private readonly options: PendingSourceOptions) {
    if (options.upstreams.length === 0)
      throw new RangeError('a pending source needs an upstream with a wsUrl');
  }

  get stats(): PendingSourceStats {
    return { ...this.counts, upstream: this.current?.upstream.id };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    this.open();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.switchTimer);
    this.switchTimer = undefined;
    this.current?.socket.stop();
    this.current = undefined;
  }

  private open(): void {
    const upstream = this.pick();
    const socket: UpstreamSubscription<string> = new UpstreamSubscription<string>({
      ...this.options.socket,
      url: upstream.ws!.url,
      headers: upstream.ws!.headers,
      params: ['newPendingTransactions'],
      pick: (result) => (typeof result === 'string' && HASH.test(result) ? result.toLowerCase() : undefined),
      onValue: (hash) => {
        this.failures = 0;
        this.take(hash);
      },
      onState: (alive, why) => {
        this.options.onState?.(upstream.id, alive, why);
        if (!alive) this.moveOn(socket);
      },
    });
    this.current = { upstream, socket };
    socket.start();
  }

  /** The next upstream in turn, preferring one available for traffic. */
  private pick(): Upstream {
    const { upstreams } = this.options;
    for (let i = 0; i < upstreams.length; i++) {
      const upstream = upstreams[(this.next + i) % upstreams.length]!;
      if (upstream.isAvailable()) {
        this.next = (this.next + i + 1) % upstreams.length;
        return upstream;
      }
    }
    const upstream = upstreams[this.next % upstreams.length]!;
    this.next = (this.next + 1) % upstreams.length;
    return upstream;
  }

  /** The socket dropped: with one upstream it reconnects by itself; with more, the next one takes over. */
  private moveOn(socket: UpstreamSubscription<string>): void {
    if (!this.running || this.current?.socket !== socket || this.options.upstreams.length < 2) return;
    socket.stop();
    this.current = undefined;
    this.counts.switches++;
    this.failures++;
    this.switchTimer = setTimeout(() => {
      this.switchTimer = undefined;
      if (this.running) this.open();
    }, socket.backoff(this.failures));
    this.switchTimer.unref();
  }

  private take(hash: string): void {
    if (this.seen.has(hash)) {
      this.counts.duplicates++;
      return;
    }
    const capacity = this.options.recent ?? 16_384;
    if (this.seen.size >= capacity) {
      // A ring of the remembered hashes: the oldest one is forgotten first.
      this.seen.delete(this.order[this.oldest]!);
      this.order[this.oldest] = hash;
      this.oldest = (this.oldest + 1) % capacity;
    } else this.order.push(hash);
    this.seen.add(hash);
    this.counts.hashes++;
    this.options.onHash(hash);
  }
}
