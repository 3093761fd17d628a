/**
 * When a network's chain tracker starts: with the first request whose caching depends on the
 * chain, or with the first follower (the realtime feed) — so a gateway never asked such a thing
 * sends no head polls at all. Until its first read, such requests wait for it (bounded).
 */
import type { ChainTracker } from '../cache/chain-tracker.js';

export class TrackerStart {
  private started = false;
  /** Pending while the tracker's first read runs (chain-dependent requests wait for it). */
  private firstRead: Promise<void> | undefined;

  constructor(
    private readonly tracker: ChainTracker,
    /** The longest a request waits for the first read (the failsafe's attempt timeout). */
    private readonly boundMs: number,
  ) {}

  /** True until the tracker has started and read once (or given up waiting for it). */
  get waiting(): boolean {
    return this.firstRead !== undefined || !this.started;
  }

  /**
   * Starts the tracker if it was not running; resolves after its first read, or after
   * `boundMs` (then requests go on without block knowledge until it knows the chain, as it reads
   * on). Undefined when it was started and read before.
   */
  start(): Promise<void> | undefined {
    this.firstRead ??= this.begin();
    return this.firstRead;
  }

  private begin(): Promise<void> | undefined {
    if (this.started) return undefined;
    this.started = true;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.boundMs);
    });
    const first = this.tracker.start().catch(() => undefined);
    return Promise.race([first, bound]).finally(() => {
      clearTimeout(timer);
      this.firstRead = undefined;
    });
  }
}
