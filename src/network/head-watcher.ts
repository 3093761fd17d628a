/**
 * Holds one `eth_subscribe newHeads` on every upstream of a network that has a `wsUrl`, while the
 * network's chain tracker has watchers (the realtime feed), so a new block reaches subscribers
 * about when the fastest upstream announces it rather than at the next head poll. A head is a
 * hint only: it nudges the tracker to poll now, and the tracker reads the chain through the
 * pipeline as always, so a lying or stale upstream cannot inject a block. Heads from an upstream
 * that is not available for traffic (breaker open, excluded) are ignored. Polling goes on at
 * `cache.headPollMs` whatever the sockets do: it is the fallback.
 */
import type { HeadHint } from '../cache/poll-nudge.js';
import type { Upstream } from '../upstream/upstream.js';
import { UpstreamSubscription, type UpstreamSubscriptionOptions } from '../upstream/upstream-subscription.js';

export interface HeadWatcherOptions {
  readonly upstreams: readonly Upstream[];
  /** The tracker's `nudge`. */
  readonly nudge: (hint: HeadHint) => void;
  /** Told when an upstream's head subscription comes up or goes down (logs). */
  readonly onState?: (upstream: string, alive: boolean, why?: string) => void;
  /** Passed to each socket (tests shorten the backoff and pings). */
  readonly socket?: Pick<
    UpstreamSubscriptionOptions<HeadHint>,
    'backoffMs' | 'maxBackoffMs' | 'pingMs' | 'connectTimeoutMs'
  >;
}

export interface HeadWatcherStats {
  /** Head notifications read (from every upstream). */
  readonly heads: number;
  /** Head notifications dropped: malformed, or from an upstream not available for traffic. */
  readonly ignored: number;
  /** Sockets whose subscription is confirmed now. */
  readonly alive: number;
  readonly reconnects: number;
}

export class HeadWatcher {
  private readonly sockets: {
    readonly upstream: Upstream;
    readonly socket: UpstreamSubscription<HeadHint>;
  }[];
  private counts = { heads: 0, ignored: 0 };

  constructor(options: HeadWatcherOptions) {
    this.sockets = [];
    for (const upstream of options.upstreams) {
      const ws = upstream.ws;
      if (ws === undefined) continue;
      const socket = new UpstreamSubscription<HeadHint>({
        ...options.socket,
        url: ws.url,
        headers: ws.headers,
        params: ['newHeads'],
        pick: headHint,
        onValue: (hint) => {
          if (!upstream.isAvailable()) {
            this.counts.ignored++;
            return;
          }
          this.counts.heads++;
          options.nudge(hint);
        },
        onState: (alive, why) => options.onState?.(upstream.id, alive, why),
      });
      this.sockets.push({ upstream, socket });
    }
  }

  /** Whether any upstream of the network has a WebSocket endpoint. */
  get hasSources(): boolean {
    return this.sockets.length > 0;
  }

  get stats(): HeadWatcherStats {
    let alive = 0;
    let reconnects = 0;
    let ignored = this.counts.ignored;
    for (const { socket } of this.sockets) {
      if (socket.alive) alive++;
      const stats = socket.stats;
      reconnects += Math.max(0, stats.connects - 1);
      ignored += stats.ignored;
    }
    return { heads: this.counts.heads, ignored, alive, reconnects };
  }

  start(): void {
    for (const { socket } of this.sockets) socket.start();
  }

  stop(): void {
    for (const { socket } of this.sockets) socket.stop();
  }
}

/** Only the number and hash of a `newHeads` result; anything else in it is not read. */
export function headHint(result: unknown): HeadHint | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const { number, hash } = result as { number?: unknown; hash?: unknown };
  if (typeof number !== 'string' || typeof hash !== 'string') return undefined;
  if (!/^0x[0-9a-fA-F]{1,16}$/.test(number) || !/^0x[0-9a-fA-F]{64}$/.test(hash)) return undefined;
  const height = Number.parseInt(number, 16);
  if (!Number.isSafeInteger(height)) return undefined;
  return { number: height, hash: hash.toLowerCase() };
}
