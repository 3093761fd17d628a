/**
 * Runs the generators: W worker_threads, each with a disjoint slice of the schedule, started
 * on one shared t0 once every thread has loaded; or, with `inProcess`, one generator on the
 * calling thread (tests, debugging). Resolves with every worker's result.
 */
import { Worker } from 'node:worker_threads';
import type { GeneratorResult, LiveStats } from './generator.js';
import type { Scenario } from './scenario-schema.js';
import { monotonicMs } from './ticker.js';
import type { WorkerInit, WorkerMessage } from './worker-entry.js';

export interface RunWorkersOptions {
  scenario: Scenario;
  workers: number;
  inProcess: boolean;
  /** Keep every request's outcome (GeneratorResult.outcomes). */
  outcomes: boolean;
  onLive: (live: LiveStats) => void;
  /** Called with t0 (monotonic ms) just before the schedule starts. */
  onStart: (t0: number) => void;
}

/** Room between "everyone is ready" and the first due time. */
const START_DELAY_MS = 100;

export async function runGenerators(options: RunWorkersOptions): Promise<GeneratorResult[]> {
  const { scenario, onLive, onStart, outcomes } = options;
  if (options.inProcess) {
    // Loaded only here: the coordinator thread of a worker run never needs undici and the generator.
    const { LoadGenerator } = await import('./generator.js');
    const generator = new LoadGenerator({ scenario, worker: 0, workers: 1, onLive, outcomes });
    await generator.prepare();
    const t0 = monotonicMs() + START_DELAY_MS;
    onStart(t0);
    return [await generator.run(t0)];
  }
  // Compiled, the entry is worker-entry.js next to this file; from sources (tests) it is the
  // .ts file, loaded through tsx (a dev dependency).
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(source ? './worker-entry.ts' : './worker-entry.js', import.meta.url);
  const threads = Array.from({ length: options.workers }, (_, worker) => {
    const init: WorkerInit = { scenario, worker, workers: options.workers, outcomes };
    if (!source) return new Worker(entry, { workerData: init });
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
    return new Worker(bootstrap, { eval: true, workerData: init });
  });
  try {
    const handles = threads.map((thread) => {
      let markReady!: () => void;
      const ready = new Promise<void>((resolve) => {
        markReady = resolve;
      });
      const result = new Promise<GeneratorResult>((resolve, reject) => {
        thread.on('message', (message: WorkerMessage) => {
          if (message.type === 'ready') markReady();
          else if (message.type === 'live') onLive(message.live);
          else if (message.type === 'result') resolve(message.result);
          else reject(new Error(`generator thread failed: ${message.message}`));
        });
        thread.on('error', reject);
        thread.on('exit', (code) => reject(new Error(`generator thread exited (${code})`)));
      });
      return { ready, result };
    });
    // Every thread ready, or the first failure (a result never settles before the start).
    const never = new Promise<never>(() => undefined);
    await Promise.race([
      Promise.all(handles.map((h) => h.ready)),
      ...handles.map((h) => h.result.then(() => never)),
    ]);
    const t0 = monotonicMs() + START_DELAY_MS;
    onStart(t0);
    for (const thread of threads) thread.postMessage({ t0 });
    return await Promise.all(handles.map((h) => h.result));
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}
