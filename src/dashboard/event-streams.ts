/**
 * The open server-sent-event streams of one process: each gets the last hour once, then every
 * snapshot. Bounded twice: at most `maxClients` streams, and a client that stops reading is
 * dropped once MAX_PENDING_BYTES wait for it, rather than buffered without limit (the browser's
 * EventSource reconnects by itself and gets the history again).
 */
import type { ResponseStream } from '../http/exchange.js';
import type { SnapshotFeed } from './sampler.js';

/** About a minute of snapshots for a page with many upstreams. */
export const MAX_PENDING_BYTES = 256 * 1024;

export class EventStreams {
  private readonly streams = new Set<ResponseStream>();
  private unsubscribe: (() => void) | undefined;
  /** Streams dropped because their client did not read (tests and docs). */
  dropped = 0;

  constructor(
    private readonly feed: SnapshotFeed,
    readonly maxClients: number,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  get full(): boolean {
    return this.streams.size >= this.maxClients;
  }

  /** Sends the history, then follows the feed until the stream closes. */
  add(stream: ResponseStream): void {
    this.streams.add(stream);
    stream.onClose(() => this.remove(stream));
    // Tells EventSource to wait 2 s before reconnecting after a drop.
    stream.write('retry: 2000\n\n');
    void this.feed.history().then(
      ({ points, latest }) => {
        this.send(stream, 'history', JSON.stringify({ points }));
        if (latest !== undefined) this.send(stream, 'snapshot', JSON.stringify(latest));
      },
      () => stream.end(),
    );
    this.unsubscribe ??= this.feed.subscribe((_snapshot, json) => {
      for (const open of this.streams) this.send(open, 'snapshot', json);
    });
  }

  /** Ends every stream (the drain). */
  closeAll(): void {
    for (const stream of [...this.streams]) stream.end();
  }

  private send(stream: ResponseStream, event: string, json: string): void {
    if (stream.closed) return;
    if (stream.pendingBytes > MAX_PENDING_BYTES) {
      this.dropped++;
      stream.end();
      return;
    }
    stream.write(`event: ${event}\ndata: ${json}\n\n`);
  }

  private remove(stream: ResponseStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }
}
