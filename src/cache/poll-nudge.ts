/**
 * "Poll now": a hint that the chain moved (an upstream's WebSocket head) asks the tracker for a
 * poll right away instead of at its next timer tick. The hint is never taken as data; the poll
 * reads the chain through the pipeline as always. Nudges coalesce: never two polls at once (a
 * nudge during a poll runs one more poll after it, since that poll may have read `latest` too
 * early), at most one poll per `spacingMs`, and a hint the tracker already holds is ignored, so a
 * head announced by five upstreams costs one poll and a lying upstream cannot make polls pile up.
 */

/**
 * A block an upstream announced (number and lowercase hash), or, without a hash, a height the
 * chain should reach soon (a transaction just went through): known once the head is that high.
 */
export interface HeadHint {
  readonly number: number;
  readonly hash?: string | undefined;
}

export interface NudgeTarget {
  /** Started and not stopped. */
  readonly running: boolean;
  /** A poll is in flight. */
  readonly polling: boolean;
  readonly head: number;
  /** The tracker's canonical hash at `number`. */
  hashAt(number: number): string | undefined;
  /** One poll; joins the one in flight. Never rejects. */
  poll(): Promise<void>;
}

/**
 * Polls run again for a hint still unknown after a nudged poll, at most this many times, each
 * after twice the wait of the one before (spacing × 2, × 4, … × 32: about 6 s in all at 100 ms): the
 * pipeline may have asked an upstream that had not seen the block yet, or the poll failed (a
 * busy machine, a timeout), and the timer poll may be minutes away.
 */
const FOLLOW_UPS = 5;

interface Queued {
  readonly hint: HeadHint | undefined;
  readonly tries: number;
  /** Not before this `performance.now()` (follow-ups back off). */
  readonly notBefore: number;
}

export class PollNudge {
  private queued: Queued | undefined;
  private busy = false;
  private timer: NodeJS.Timeout | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  /** Nudged polls run. */
  polls = 0;

  constructor(
    private readonly target: NudgeTarget,
    private readonly spacingMs: number,
  ) {}

  /** Asks for a poll soon; false when ignored (not running, or the hint is known already). */
  nudge(hint?: HeadHint): boolean {
    if (!this.target.running || (hint !== undefined && this.knows(hint))) return false;
    const held = this.queued?.hint;
    // The highest hint wins: it is the one a follow-up poll checks for.
    const keep = hint === undefined || (held !== undefined && held.number > hint.number) ? held : hint;
    this.queued = { hint: keep, tries: 0, notBefore: 0 };
    this.kick();
    return true;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queued = undefined;
  }

  private knows(hint: HeadHint): boolean {
    if (hint.hash === undefined) return this.target.head >= hint.number;
    return this.target.hashAt(hint.number) === hint.hash;
  }

  private kick(): void {
    if (this.busy || this.timer !== undefined || this.queued === undefined) return;
    const wait = Math.max(this.lastStart + this.spacingMs, this.queued.notBefore) - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, wait);
      this.timer.unref();
      return;
    }
    const { hint, tries } = this.queued;
    this.queued = undefined;
    if (!this.target.running || (hint !== undefined && this.knows(hint))) return;
    this.busy = true;
    void this.run(hint, tries);
  }

  private async run(hint: HeadHint | undefined, tries: number): Promise<void> {
    try {
      // A poll in flight may have read `latest` before the news: let it finish, then read again.
      if (this.target.polling) await this.target.poll();
      this.lastStart = performance.now();
      this.polls++;
      await this.target.poll();
    } finally {
      this.busy = false;
    }
    if (
      this.queued === undefined &&
      hint !== undefined &&
      tries < FOLLOW_UPS &&
      hint.number >= this.target.head &&
      !this.knows(hint)
    )
      this.queued = { hint, tries: tries + 1, notBefore: performance.now() + this.spacingMs * 2 ** tries };
    this.kick();
  }
}
