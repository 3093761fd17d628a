/**
 * EventStreams against the ResponseStream interface (the HTTP server's real streams are covered
 * by test/dashboard-http.test.ts): a client that stops reading is dropped, not buffered.
 */
import { describe, expect, it } from 'vitest';
import type { ResponseStream } from '../http/exchange.js';
import { EventStreams, MAX_PENDING_BYTES } from './event-streams.js';
import { Sampler } from './sampler.js';
import type { WorkerSample } from './snapshot.js';

/** A stream whose client reads nothing: every write stays pending. */
class UnreadStream implements ResponseStream {
  pendingBytes = 0;
  closed = false;
  private listeners: (() => void)[] = [];
  write(text: string): void {
    this.pendingBytes += Buffer.byteLength(text);
  }
  end(): void {
    this.closed = true;
    for (const listener of this.listeners) listener();
  }
  onClose(listener: () => void): void {
    this.listeners.push(listener);
  }
}

const idle: WorkerSample = {
  worker: '0',
  requests: [],
  latency: {},
  latencyBounds: [],
  upstreams: [],
  cache: undefined,
  relayer: undefined,
  process: { elu: 0, delayP99Ms: 0, heapBytes: 0, rssBytes: 0 },
};

describe('EventStreams', () => {
  it('sends the history first, then drops a client once MAX_PENDING_BYTES wait for it', async () => {
    const sampler = new Sampler(async () => [idle], 10);
    const streams = new EventStreams(sampler, 4);
    const stream = new UnreadStream();
    streams.add(stream);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.pendingBytes).toBeGreaterThan(0);
    let ticks = 0;
    while (!stream.closed && ticks < 100_000) {
      await sampler.tick();
      ticks++;
    }
    expect(stream.closed).toBe(true);
    expect(stream.pendingBytes).toBeLessThan(MAX_PENDING_BYTES + 4096);
    expect(streams.dropped).toBe(1);
    expect(streams.size).toBe(0);
  });

  it('keeps the ring at its capacity', async () => {
    const sampler = new Sampler(async () => [idle], 5);
    for (let i = 0; i < 12; i++) await sampler.tick();
    const { points } = await sampler.history();
    expect(points).toHaveLength(5);
    expect(points.map((p) => p[0])).toEqual([...points.map((p) => p[0])].sort((a, b) => a - b));
  });
});
