/**
 * The last final block of a NEAR network, for the cache (a height at or below it names data
 * that never changes). NEAR finality never reverts, so there is no reorg to follow: one read of
 * `block` at `finality: final` every `pollMs` is all it takes. Starts with the first request
 * that needs it, so a network nobody asks by height sends no polls.
 */
import type { NearFinality } from './near-policy.js';

export interface NearFinalHeadOptions {
  /** One `block {finality: final}` through the network's pipeline; resolves with its result. */
  readonly fetchFinalBlock: () => Promise<unknown>;
  readonly pollMs: number;
  readonly onError?: (err: unknown) => void;
}

export class NearFinalHead implements NearFinality {
  /** -1 until the first read. */
  finalHeight = -1;
  finalHash: string | undefined;
  lastReadAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private stopped = false;

  constructor(private readonly options: NearFinalHeadOptions) {}

  get started(): boolean {
    return this.timer !== undefined;
  }

  /** Starts polling; resolves after the first read (failed or not). */
  start(): Promise<void> {
    if (this.timer !== undefined || this.stopped) return Promise.resolve();
    this.timer = setInterval(() => void this.read(), this.options.pollMs);
    this.timer.unref();
    return this.read();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const header = (
        (await this.options.fetchFinalBlock()) as { header?: { height?: unknown; hash?: unknown } } | null
      )?.header;
      const height = header?.height;
      // Finality only moves forward: an answer from a node behind the others is ignored.
      if (typeof height === 'number' && Number.isSafeInteger(height) && height > this.finalHeight) {
        this.finalHeight = height;
        this.finalHash = typeof header?.hash === 'string' ? header.hash : undefined;
      }
      this.lastReadAt = Date.now();
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      this.reading = false;
    }
  }
}
