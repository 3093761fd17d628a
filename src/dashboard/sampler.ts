/**
 * The dashboard's clock: once a second it collects every worker's sample (in-process, or the
 * cluster primary asking each worker over IPC), builds the second's snapshot, keeps the last
 * hour of chart points in a fixed ring, and hands the snapshot to whoever listens. Sampling
 * reads counters the request path keeps anyway, so serving requests pays nothing for it.
 */
import { type HistoryPoint, historyPoint, type Snapshot, type WorkerSample } from './snapshot.js';
import { SnapshotBuilder } from './snapshot-builder.js';

/** An hour of seconds. */
export const HISTORY_POINTS = 3_600;
const INTERVAL_MS = 1_000;

/** What the SSE endpoint reads: the ring once, then each new snapshot. */
export interface SnapshotFeed {
  /** The last hour of chart points, oldest first, and the newest whole snapshot. */
  history(): Promise<{ points: readonly HistoryPoint[]; latest: Snapshot | undefined }>;
  /** Calls `listener` with each new snapshot (its JSON text too); returns the unsubscribe. */
  subscribe(listener: (snapshot: Snapshot, json: string) => void): () => void;
}

/** A fixed ring of points: memory stays the same after the first hour. */
export class PointRing {
  private readonly points: (HistoryPoint | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.points = new Array(capacity);
  }

  push(point: HistoryPoint): void {
    this.points[this.next] = point;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
  }

  toArray(): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) out.push(this.points[(start + i) % this.capacity]!);
    return out;
  }
}

export class Sampler implements SnapshotFeed {
  private readonly builder = new SnapshotBuilder();
  private readonly ring: PointRing;
  private readonly listeners = new Set<(snapshot: Snapshot, json: string) => void>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  latest: Snapshot | undefined;

  constructor(
    /** Every worker's sample; a worker that did not answer in time is left out. */
    private readonly collect: () => Promise<readonly WorkerSample[]>,
    capacity = HISTORY_POINTS,
  ) {
    this.ring = new PointRing(capacity);
  }

  start(): void {
    if (this.timer !== undefined) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** One sample now (the timer calls it; tests may too). Skipped while the previous one runs. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const samples = await this.collect();
      const snapshot = this.builder.build(samples, Date.now());
      this.latest = snapshot;
      this.ring.push(historyPoint(snapshot));
      if (this.listeners.size === 0) return;
      const json = JSON.stringify(snapshot);
      for (const listener of this.listeners) listener(snapshot, json);
    } catch {
      // A failed sample is a gap in the charts, nothing more.
    } finally {
      this.busy = false;
    }
  }

  history(): Promise<{ points: readonly HistoryPoint[]; latest: Snapshot | undefined }> {
    return Promise.resolve({ points: this.ring.toArray(), latest: this.latest });
  }

  subscribe(listener: (snapshot: Snapshot, json: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
