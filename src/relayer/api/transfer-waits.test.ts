import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.js';
import type { TransferRecord, TransferState } from '../model.js';
import { TransferWaits } from './transfer-waits.js';

/** Transfers whose states the test sets; counts the reads. */
function statesStore() {
  const states = new Map<string, TransferState>();
  const reads: (readonly string[])[] = [];
  let failing = false;
  const store = {
    async getTransfers(ids: readonly string[]): Promise<TransferRecord[]> {
      reads.push(ids);
      if (failing) throw new Error('database down (test)');
      return ids.flatMap((id) => {
        const state = states.get(id);
        return state === undefined ? [] : [record(id, state)];
      });
    },
  };
  return {
    store,
    states,
    reads,
    fail: (on: boolean) => {
      failing = on;
    },
  };
}

function record(id: string, state: TransferState): TransferRecord {
  return {
    id,
    requestId: 'rq',
    projectId: null,
    token: '0x01',
    to: '0x02',
    amount: 1n,
    memo: null,
    state,
    error: state === 'failed' ? 'ERR_RELAYER_TRANSFER_REVERTED: test' : null,
    errorCode: state === 'failed' ? 'ERR_RELAYER_TRANSFER_REVERTED' : null,
    batchId: null,
    txHash: state === 'accepted' ? null : '0xhash',
    blockNumber: state === 'confirmed' ? 7 : null,
    createdAt: 0,
    updatedAt: 0,
  };
}

const POLL = 100;

describe('TransferWaits', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the states of every waiter in one query per tick, and ends each when settled', async () => {
    const { store, states, reads } = statesStore();
    const waits = new TransferWaits(store, { pollMs: POLL, maxWaiters: 100 });
    for (const id of ['a', 'b', 'c']) states.set(id, 'accepted');
    const outcomes: string[] = [];
    const wait = (ids: string[], target: 'submitted' | 'confirmed') => {
      waits.reserve();
      return waits.wait(ids, target, 10_000).then((outcome) => {
        outcomes.push(`${ids.join('+')}:${outcome.kind}`);
        return outcome;
      });
    };
    const ab = wait(['a', 'b'], 'confirmed');
    const b = wait(['b'], 'submitted');
    const c = wait(['c'], 'confirmed');
    expect(waits.size).toBe(3);
    await vi.advanceTimersByTimeAsync(POLL);
    expect(reads).toEqual([['a', 'b', 'c']]);
    expect(outcomes).toEqual([]);

    states.set('b', 'submitted');
    states.set('c', 'failed');
    await vi.advanceTimersByTimeAsync(POLL);
    expect(reads).toHaveLength(2);
    expect(outcomes.sort()).toEqual(['b:settled', 'c:settled']);
    const failed = await c;
    expect(failed.kind === 'settled' ? failed.records.map((r) => r.state) : failed.kind).toEqual(['failed']);
    expect((await b).kind).toBe('settled');

    states.set('a', 'confirmed');
    await vi.advanceTimersByTimeAsync(POLL);
    // Submitted is not confirmed: a+b waits until b is confirmed too.
    expect(outcomes).toHaveLength(2);
    states.set('b', 'confirmed');
    await vi.advanceTimersByTimeAsync(POLL);
    expect(reads.at(-1)).toEqual(['a', 'b']);
    expect((await ab).kind).toBe('settled');
    expect(waits.size).toBe(0);
    // Nobody waits: no timer runs and nothing is read.
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * POLL);
    expect(reads).toHaveLength(4);
  });

  it('times out at the first tick past the deadline, also while reads fail, and leaves no timer', async () => {
    const { store, states, fail } = statesStore();
    const errors: unknown[] = [];
    const waits = new TransferWaits(store, {
      pollMs: POLL,
      maxWaiters: 10,
      onReadError: (err) => errors.push(err),
    });
    states.set('a', 'accepted');
    fail(true);
    waits.reserve();
    let outcome: string | undefined;
    void waits.wait(['a'], 'confirmed', 250).then((o) => {
      outcome = o.kind;
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(100);
    expect(outcome).toBe('timeout');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(waits.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a slot beyond maxWaiters with ERR_RELAYER_WAIT_CAPACITY; release and ends free slots', async () => {
    const { store, states } = statesStore();
    const waits = new TransferWaits(store, { pollMs: POLL, maxWaiters: 2 });
    states.set('a', 'accepted');
    waits.reserve();
    waits.reserve();
    const refused = (() => {
      try {
        waits.reserve();
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe('ERR_RELAYER_WAIT_CAPACITY');
    expect((refused as GatewayError).httpStatus).toBe(503);
    waits.release();
    waits.reserve();
    waits.release();
    const waiting = waits.wait(['a'], 'confirmed', 50);
    expect(waits.size).toBe(1);
    await vi.advanceTimersByTimeAsync(POLL);
    expect((await waiting).kind).toBe('timeout');
    expect(waits.size).toBe(0);
  });

  it('ends a wait whose client left at once, and removes the listener of a wait that ended otherwise', async () => {
    const { store, states } = statesStore();
    const waits = new TransferWaits(store, { pollMs: POLL, maxWaiters: 10 });
    states.set('a', 'accepted');
    let leave: (() => void) | undefined;
    let removed = 0;
    const onGone = (listener: () => void) => {
      leave = listener;
      return () => {
        removed++;
      };
    };
    waits.reserve();
    const gone = waits.wait(['a'], 'confirmed', 10_000, onGone);
    leave?.();
    expect((await gone).kind).toBe('gone');
    expect(removed).toBe(1);
    expect(waits.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);

    waits.reserve();
    const settled = waits.wait(['a'], 'submitted', 10_000, onGone);
    states.set('a', 'confirmed');
    await vi.advanceTimersByTimeAsync(POLL);
    expect((await settled).kind).toBe('settled');
    expect(removed).toBe(2);
    // A late departure after the end changes nothing.
    leave?.();
    expect(waits.size).toBe(0);
  });

  it('close() ends every wait with timeout, and later waits end at once', async () => {
    const { store, states } = statesStore();
    const waits = new TransferWaits(store, { pollMs: POLL, maxWaiters: 10 });
    states.set('a', 'accepted');
    waits.reserve();
    waits.reserve();
    const first = waits.wait(['a'], 'confirmed', 10_000);
    const second = waits.wait(['a'], 'submitted', 10_000);
    waits.close();
    expect([(await first).kind, (await second).kind]).toEqual(['timeout', 'timeout']);
    expect(vi.getTimerCount()).toBe(0);
    waits.reserve();
    expect((await waits.wait(['a'], 'confirmed', 10_000)).kind).toBe('timeout');
    expect(waits.size).toBe(0);
  });
});
