import { describe, expect, it } from 'vitest';
import { type HeadHint, type NudgeTarget, PollNudge } from './poll-nudge.js';

/** A tracker stand-in whose polls stay in flight until `finish()`; counts overlapping polls. */
class Target implements NudgeTarget {
  running = true;
  head = 10;
  polls = 0;
  concurrent = 0;
  maxConcurrent = 0;
  readonly hashes = new Map<number, string>([[10, '0xa']]);
  /** What the chain will be once the poll in flight finishes. */
  next: HeadHint | undefined;
  private inflight: { promise: Promise<void>; resolve: () => void } | undefined;

  get polling(): boolean {
    return this.inflight !== undefined;
  }

  hashAt(number: number): string | undefined {
    return this.hashes.get(number);
  }

  poll(): Promise<void> {
    if (this.inflight !== undefined) return this.inflight.promise;
    this.polls++;
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    let resolve!: () => void;
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    this.inflight = { promise, resolve };
    return promise;
  }

  /** Ends the poll in flight, having read `next` if set. */
  async finish(): Promise<void> {
    const inflight = this.inflight;
    if (inflight === undefined) return;
    if (this.next !== undefined) {
      this.hashes.set(this.next.number, this.next.hash ?? `0x${this.next.number}`);
      this.head = Math.max(this.head, this.next.number);
      this.next = undefined;
    }
    this.inflight = undefined;
    this.concurrent--;
    inflight.resolve();
    await tick();
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('PollNudge', () => {
  it('ignores a hint the tracker holds already, and nudges while stopped', async () => {
    const target = new Target();
    const nudge = new PollNudge(target, 0);
    expect(nudge.nudge({ number: 10, hash: '0xa' })).toBe(false);
    target.running = false;
    expect(nudge.nudge({ number: 11, hash: '0xb' })).toBe(false);
    await tick();
    expect(target.polls).toBe(0);
  });

  it('polls at once, and a nudge during a poll runs exactly one more after it, never two at a time', async () => {
    const target = new Target();
    const nudge = new PollNudge(target, 0);
    target.next = { number: 11, hash: '0xb' };
    expect(nudge.nudge({ number: 11, hash: '0xb' })).toBe(true);
    await tick();
    expect(target.polls).toBe(1);
    // Three more heads arrive while the poll is in flight: they coalesce into one poll after it.
    nudge.nudge({ number: 12, hash: '0xc' });
    nudge.nudge({ number: 13, hash: '0xd' });
    nudge.nudge();
    await target.finish();
    await tick();
    expect(target.polls).toBe(2);
    target.next = { number: 13, hash: '0xd' };
    await target.finish();
    await tick();
    expect(target.polls).toBe(2);
    expect(target.maxConcurrent).toBe(1);
    expect(nudge.polls).toBe(2);
  });

  it('waits for a poll already in flight (the timer one), then polls again', async () => {
    const target = new Target();
    const nudge = new PollNudge(target, 0);
    void target.poll();
    nudge.nudge({ number: 11, hash: '0xb' });
    await tick();
    expect(target.polls).toBe(1);
    await target.finish();
    await tick();
    expect(target.polls).toBe(2);
    expect(target.maxConcurrent).toBe(1);
  });

  it('polls again a bounded number of times for a hint the poll did not find (a lagging upstream answered)', async () => {
    const target = new Target();
    const nudge = new PollNudge(target, 0);
    nudge.nudge({ number: 50, hash: '0xf' });
    for (let i = 0; i < 10; i++) {
      await tick();
      await target.finish();
    }
    // One nudged poll and five follow-ups, then the hint is given up (the timer poll remains).
    expect(target.polls).toBe(6);
  });

  it('follows a height without a hash (a write) up until the head reaches it, and no further', async () => {
    const target = new Target();
    const nudge = new PollNudge(target, 0);
    expect(nudge.nudge({ number: 10 })).toBe(false); // the head is there already
    expect(nudge.nudge({ number: 11 })).toBe(true);
    await tick();
    await target.finish(); // read before the block was mined: the head is still 10
    await tick();
    expect(target.polls).toBe(2); // a follow-up
    target.next = { number: 11, hash: '0xb' };
    await target.finish();
    for (let i = 0; i < 5; i++) {
      await tick();
      await target.finish();
    }
    expect(target.polls).toBe(2);
  });

  it('spaces nudged polls', async () => {
    const target = new Target();
    const nudge = new PollNudge(target, 60_000);
    nudge.nudge({ number: 11, hash: '0xb' });
    await tick();
    await target.finish();
    nudge.nudge({ number: 12, hash: '0xc' });
    await tick();
    expect(target.polls).toBe(1);
    nudge.stop();
  });
});
