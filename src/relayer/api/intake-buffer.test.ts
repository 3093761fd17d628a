import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AcceptRequest, AcceptResult } from '../model.js';
import { IntakeBuffer } from './intake-buffer.js';
import { QueueDepth } from './queue-depth.js';

const request = (key: string): AcceptRequest => ({
  projectId: null,
  idempotencyKey: key,
  requestHash: key,
  transfers: [{ token: '0x01', to: '0x02', amount: 1n }],
});

/** acceptMany calls that finish when the test says so. */
function heldStore() {
  const calls: { requests: readonly AcceptRequest[]; finish: (fail?: boolean) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const store = {
    acceptMany(requests: readonly AcceptRequest[]): Promise<AcceptResult[]> {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve, reject) => {
        calls.push({
          requests,
          finish: (fail = false) => {
            inFlight--;
            if (fail) reject(new Error('commit failed'));
            else
              resolve(
                requests.map((r) => ({ kind: 'created', requestId: `rq-${r.idempotencyKey}`, ids: ['t'] })),
              );
          },
        });
      });
    },
  };
  return { store, calls, maxInFlight: () => maxInFlight };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('IntakeBuffer', () => {
  it('commits what arrived within flushMs together, one commit in flight, the rest joins the next', async () => {
    vi.useFakeTimers();
    const held = heldStore();
    const buffer = new IntakeBuffer(held.store, { flushMs: 5 });
    const first = [buffer.submit(request('a')), buffer.submit(request('b'))];
    await vi.advanceTimersByTimeAsync(4);
    expect(held.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(held.calls).toHaveLength(1);
    expect(held.calls[0]!.requests.map((r) => r.idempotencyKey)).toEqual(['a', 'b']);
    // Arriving during the commit: they wait for it, however long it takes.
    const second = [buffer.submit(request('c')), buffer.submit(request('d')), buffer.submit(request('e'))];
    await vi.advanceTimersByTimeAsync(100);
    expect(held.calls).toHaveLength(1);
    held.calls[0]!.finish();
    expect((await Promise.all(first)).map((r) => r.kind)).toEqual(['created', 'created']);
    await vi.advanceTimersByTimeAsync(0);
    expect(held.calls).toHaveLength(2);
    expect(held.calls[1]!.requests).toHaveLength(3);
    held.calls[1]!.finish();
    expect(await Promise.all(second)).toHaveLength(3);
    expect(held.maxInFlight()).toBe(1);
  });

  it('fails every request of a failed commit with ERR_RELAYER_UNAVAILABLE, then carries on', async () => {
    vi.useFakeTimers();
    const held = heldStore();
    const buffer = new IntakeBuffer(held.store, { flushMs: 1 });
    const doomed = [buffer.submit(request('a')), buffer.submit(request('b'))];
    const settled = Promise.allSettled(doomed);
    await vi.advanceTimersByTimeAsync(1);
    held.calls[0]!.finish(true);
    for (const result of await settled)
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { code: 'ERR_RELAYER_UNAVAILABLE', httpStatus: 503 },
      });
    const next = buffer.submit(request('c'));
    await vi.advanceTimersByTimeAsync(1);
    held.calls[1]!.finish();
    expect(await next).toMatchObject({ kind: 'created' });
  });

  it('close() stores what waits and refuses what comes after', async () => {
    const held = heldStore();
    const buffer = new IntakeBuffer(held.store, { flushMs: 60_000 });
    const waiting = buffer.submit(request('a'));
    const closing = buffer.close();
    await vi.waitFor(() => expect(held.calls).toHaveLength(1));
    held.calls[0]!.finish();
    await closing;
    expect(await waiting).toMatchObject({ kind: 'created' });
    await expect(buffer.submit(request('b'))).rejects.toMatchObject({ code: 'ERR_RELAYER_UNAVAILABLE' });
  });
});

describe('QueueDepth', () => {
  it('reads countOpen at most every refreshMs and counts this process in between', async () => {
    let now = 0;
    let open = 10;
    const countOpen = vi.fn(async () => open);
    const depth = new QueueDepth({ countOpen }, { max: 15, refreshMs: 250, now: () => now });
    await depth.reserve(3);
    depth.stored(3);
    await depth.reserve(2);
    expect(countOpen).toHaveBeenCalledTimes(1);
    await expect(depth.reserve(1)).rejects.toMatchObject({
      code: 'ERR_RELAYER_QUEUE_FULL',
      data: { retryAfterSeconds: 2 },
    });
    depth.release(2);
    expect(await depth.estimate()).toBe(13);
    // The engine drained the queue; the next read after refreshMs sees it.
    open = 0;
    now = 250;
    await depth.estimate();
    await vi.waitFor(async () => expect(await depth.estimate()).toBe(0));
    expect(countOpen).toHaveBeenCalledTimes(2);
  });

  it('concurrent reservations cannot both take the last room', async () => {
    const depth = new QueueDepth({ countOpen: async () => 0 }, { max: 1 });
    const results = await Promise.allSettled([depth.reserve(1), depth.reserve(1)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('answers 503 ERR_RELAYER_UNAVAILABLE while the depth was never read', async () => {
    const depth = new QueueDepth({ countOpen: async () => Promise.reject(new Error('down')) }, { max: 1 });
    await expect(depth.reserve(1)).rejects.toMatchObject({ code: 'ERR_RELAYER_UNAVAILABLE' });
  });
});
