/** A generator thread: waits for the start time, sends its slice, posts live figures and its result. */
import { parentPort, workerData } from 'node:worker_threads';
import { LoadGenerator } from './generator.js';
import type { Scenario } from './scenario-schema.js';

export interface WorkerInit {
  scenario: Scenario;
  worker: number;
  workers: number;
  outcomes: boolean;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'live'; live: import('./generator.js').LiveStats }
  | { type: 'result'; result: import('./generator.js').GeneratorResult }
  | { type: 'error'; message: string };

const port = parentPort;
if (port !== null) {
  const init = workerData as WorkerInit;
  const post = (message: WorkerMessage) => port.postMessage(message);
  const generator = new LoadGenerator({ ...init, onLive: (live) => post({ type: 'live', live }) });
  const fail = (err: Error) => post({ type: 'error', message: err.stack ?? err.message });
  port.once('message', (start: { t0: number }) => {
    generator.run(start.t0).then((result) => post({ type: 'result', result }), fail);
  });
  generator.prepare().then(() => post({ type: 'ready' }), fail);
}
