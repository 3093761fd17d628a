/**
 * The dashboard's sampler in the cluster primary: once a second it asks every ready worker for
 * its counters, builds the gateway-wide snapshot (dashboard/sampler.ts), keeps the hour ring,
 * and sends each snapshot to the workers that have dashboard streams open. A worker that does
 * not answer within SAMPLE_TIMEOUT_MS is left out of that second.
 */
import type { Worker } from 'node:cluster';
import { Sampler } from '../dashboard/sampler.js';
import type { WorkerSample } from '../dashboard/snapshot.js';
import { isMessage, type PrimaryMessage, type WorkerMessage } from './cluster-messages.js';

const SAMPLE_TIMEOUT_MS = 800;

type Sample = Extract<WorkerMessage, { type: 'turnpike:dashboard:sample' }>;

export class DashboardPrimary {
  private readonly sampler: Sampler;
  private readonly watching = new Set<Worker>();
  private nextRequestId = 1;

  constructor(private readonly readyWorkers: () => Iterable<Worker>) {
    this.sampler = new Sampler(() => this.collect());
    this.sampler.subscribe((_snapshot, json) => {
      const message: PrimaryMessage = { type: 'turnpike:dashboard:snapshot', json };
      for (const worker of this.watching) if (worker.isConnected()) worker.send(message);
    });
  }

  start(): void {
    this.sampler.start();
  }

  stop(): void {
    this.sampler.stop();
  }

  /** Handles a worker's dashboard message; false when the message is not one. */
  onMessage(worker: Worker, message: unknown): boolean {
    if (
      isMessage<Extract<WorkerMessage, { type: 'turnpike:dashboard:watch' }>>(
        message,
        'turnpike:dashboard:watch',
      )
    ) {
      if (message.watching) this.watching.add(worker);
      else this.watching.delete(worker);
      return true;
    }
    if (
      isMessage<Extract<WorkerMessage, { type: 'turnpike:dashboard:history-request' }>>(
        message,
        'turnpike:dashboard:history-request',
      )
    ) {
      void this.sampler.history().then(({ points, latest }) => {
        const reply: PrimaryMessage = {
          type: 'turnpike:dashboard:history',
          requestId: message.requestId,
          points,
          latest,
        };
        if (worker.isConnected()) worker.send(reply);
      });
      return true;
    }
    return false;
  }

  forget(worker: Worker): void {
    this.watching.delete(worker);
  }

  private async collect(): Promise<WorkerSample[]> {
    const requestId = this.nextRequestId++;
    const replies = await Promise.all(
      [...this.readyWorkers()].map((worker) => sampleFrom(worker, requestId)),
    );
    return replies.filter((sample): sample is WorkerSample => sample !== undefined);
  }
}

function sampleFrom(worker: Worker, requestId: number): Promise<WorkerSample | undefined> {
  if (!worker.isConnected()) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (isMessage<Sample>(message, 'turnpike:dashboard:sample') && message.requestId === requestId)
        done(message.sample);
    };
    const timer = setTimeout(() => done(undefined), SAMPLE_TIMEOUT_MS);
    const done = (sample: WorkerSample | undefined) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(sample);
    };
    worker.on('message', onMessage);
    worker.send({ type: 'turnpike:dashboard:sample-request', requestId } satisfies PrimaryMessage);
  });
}
