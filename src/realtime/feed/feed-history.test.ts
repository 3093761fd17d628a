import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.js';
import { type FeedBlock, feedBlock } from './feed-block.js';
import { FeedHistory, type ResumePlan } from './feed-history.js';

const hash = (branch: string, number: number) => `0x${branch}${number.toString(16).padStart(63, '0')}`;

/** Block `number` of `branch`, whose parent is `parent` (defaults to the same branch). */
function block(branch: string, number: number, parent = hash(branch, number - 1), logs = 1): FeedBlock {
  const point = { hash: hash(branch, number), number };
  const header = { parentHash: parent, number: `0x${number.toString(16)}`, hash: point.hash };
  const entries = Array.from({ length: logs }, (_, i) => ({
    address: `0x${'aa'.repeat(20)}`,
    topics: [],
    logIndex: `0x${i}`,
  }));
  return feedBlock(header, point, entries);
}

function chain(history: FeedHistory, branch: string, from: number, to: number, parent?: string): void {
  for (let n = from; n <= to; n++) history.append(block(branch, n, n === from ? parent : undefined));
}

describe('feed history', () => {
  it('keeps the newest blocks within its block bound', () => {
    const history = new FeedHistory({ blocks: 8, bytes: 1 << 30 });
    chain(history, 'a', 1, 20);
    expect(history.size).toBe(8);
    expect(history.low).toBe(13);
    expect(history.tip?.number).toBe(20);
    const plan = history.plan({ hash: hash('a', 15), number: 15 });
    expect(plan).not.toBeInstanceOf(GatewayError);
    expect((plan as ResumePlan).added.map((b) => b.number)).toEqual([16, 17, 18, 19, 20]);
    const gone = history.plan({ hash: hash('a', 3), number: 3 });
    expect((gone as GatewayError).code).toBe('ERR_REALTIME_RESUME_OUT_OF_WINDOW');
  });

  it('keeps its byte bound, always keeping the newest block', () => {
    const one = block('a', 1).bytes;
    const history = new FeedHistory({ blocks: 100, bytes: one * 3 + 1 });
    chain(history, 'a', 1, 10);
    expect(history.size).toBe(3);
    expect(history.bytes).toBeLessThanOrEqual(one * 3 + 1);
    const tiny = new FeedHistory({ blocks: 100, bytes: 1 });
    chain(tiny, 'a', 1, 3);
    expect(tiny.size).toBe(1);
  });

  it('refuses a block that does not link to the tip', () => {
    const history = new FeedHistory({ blocks: 8, bytes: 1 << 30 });
    chain(history, 'a', 1, 3);
    expect(() => history.append(block('b', 4))).toThrow(/does not link/);
    expect(() => history.append(block('a', 5))).toThrow(/does not link/);
  });

  it('plans a resume from an orphaned block: its branch removed down to the fork, then the new one', () => {
    const history = new FeedHistory({ blocks: 64, bytes: 1 << 30 });
    chain(history, 'a', 1, 10);
    expect(history.orphanAbove(7).map((b) => b.number)).toEqual([8, 9, 10]);
    chain(history, 'b', 8, 12, hash('a', 7));
    // A second reorg, lower: b9.. replaced by c9..
    expect(history.orphanAbove(8).map((b) => b.hash)).toEqual([9, 10, 11, 12].map((n) => hash('b', n)));
    chain(history, 'c', 9, 13, hash('b', 8));

    const fromA = history.plan({ hash: hash('a', 9), number: 9 }) as {
      removed: FeedBlock[];
      added: FeedBlock[];
    };
    expect(fromA.removed.map((b) => b.hash)).toEqual([hash('a', 8), hash('a', 9)]);
    expect(fromA.added.map((b) => b.hash)).toEqual([
      hash('b', 8),
      ...[9, 10, 11, 12, 13].map((n) => hash('c', n)),
    ]);

    const fromB = history.plan({ hash: hash('b', 10), number: 10 }) as {
      removed: FeedBlock[];
      added: FeedBlock[];
    };
    expect(fromB.removed.map((b) => b.hash)).toEqual([hash('b', 9), hash('b', 10)]);
    expect(fromB.added.map((b) => b.number)).toEqual([9, 10, 11, 12, 13]);

    const unknown = history.plan({ hash: hash('d', 9), number: 9 });
    expect((unknown as GatewayError).code).toBe('ERR_REALTIME_RESUME_UNKNOWN_BLOCK');
    const wrongNumber = history.plan({ hash: hash('c', 9), number: 10 });
    expect((wrongNumber as GatewayError).code).toBe('ERR_REALTIME_RESUME_UNKNOWN_BLOCK');
  });

  it('forgets orphaned blocks that fell below the window', () => {
    const history = new FeedHistory({ blocks: 4, bytes: 1 << 30 });
    chain(history, 'a', 1, 5);
    history.orphanAbove(4);
    chain(history, 'b', 5, 12, hash('a', 4));
    const plan = history.plan({ hash: hash('a', 5), number: 5 });
    expect((plan as GatewayError).code).toBe('ERR_REALTIME_RESUME_OUT_OF_WINDOW');
  });
});
