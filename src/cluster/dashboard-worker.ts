/**
 * A cluster worker's side of the dashboard: it answers the primary's sample requests from its
 * own registry, and its dashboard streams follow the primary's snapshots (`ClusterFeed`): the
 * history is asked for when a stream opens, and snapshots are sent only while streams are open.
 */
import type { Registry } from 'prom-client';
import type { SnapshotFeed } from '../dashboard/sampler.js';
import type { HistoryPoint, Snapshot } from '../dashboard/snapshot.js';
import { ProcessProbe, sampleWorker } from '../dashboard/worker-sample.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import type { PrimaryMessage, WorkerMessage } from './cluster-messages.js';

const HISTORY_TIMEOUT_MS = 5_000;

type History = { points: readonly HistoryPoint[]; latest: Snapshot | undefined };

export class ClusterFeed implements SnapshotFeed {
  private readonly listeners = new Set<(snapshot: Snapshot, json: string) => void>();
  private readonly pending = new Map<number, (history: History) => void>();
  private nextRequestId = 1;
  private probe: ProcessProbe | undefined;

  constructor(
    private readonly send: (message: WorkerMessage) => void,
    private readonly worker: string,
  ) {}

  history(): Promise<History> {
    return new Promise((resolve, reject) => {
      const requestId = this.nextRequestId++;
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error('the cluster primary did not send the dashboard history'));
      }, HISTORY_TIMEOUT_MS);
      this.pending.set(requestId, (history) => {
        clearTimeout(timer);
        resolve(history);
      });
      this.send({ type: 'turnpike:dashboard:history-request', requestId });
    });
  }

  subscribe(listener: (snapshot: Snapshot, json: string) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.send({ type: 'turnpike:dashboard:watch', watching: true });
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0)
        this.send({ type: 'turnpike:dashboard:watch', watching: false });
    };
  }

  /** Handles the primary's dashboard messages; `registry` and `tenancy` are this worker's. */
  onMessage(message: PrimaryMessage, registry: Registry, tenancy?: () => Tenancy | undefined): void {
    if (message.type === 'turnpike:dashboard:history') {
      this.pending.get(message.requestId)?.({ points: message.points, latest: message.latest });
      this.pending.delete(message.requestId);
    } else if (message.type === 'turnpike:dashboard:snapshot') {
      if (this.listeners.size === 0) return;
      const snapshot = JSON.parse(message.json) as Snapshot;
      for (const listener of this.listeners) listener(snapshot, message.json);
    } else if (message.type === 'turnpike:dashboard:sample-request') {
      // Created at the first request: a gateway without a dashboard never starts the monitor.
      this.probe ??= new ProcessProbe();
      // One worker reads the relayer's queue depth (a query on the shared store).
      const readQueue = this.worker === '0';
      void sampleWorker(registry, this.probe, { worker: this.worker, readQueue, tenancy }).then(
        (sample) => this.send({ type: 'turnpike:dashboard:sample', requestId: message.requestId, sample }),
        () => undefined,
      );
    }
  }

  close(): void {
    this.probe?.close();
  }
}
