// A precise clock for the open-loop generator. Node timers fire with ~1 ms granularity
// (p50 ≈ 0.55 ms late, p99 ≈ 1–2 ms measured here), which would be charged to every target as
// latency. A worker thread sleeping in Atomics.wait (a futex, µs precision) bumps a shared counter
// at each due time, and the main thread wakes via Atomics.waitAsync: p50 ≈ 0.1 ms, p99 ≈ 0.25 ms,
// for ~5 % of a core more than timers.
import { Worker } from 'node:worker_threads';

/** Milliseconds on the monotonic clock shared by all threads of the process. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { buffer, t0, period, total } = workerData;
const ticks = new Int32Array(buffer, 0, 1);
const sleeper = new Int32Array(buffer, 4, 1); // never notified: Atomics.wait on it is a precise sleep
for (let i = 0; i < total; i++) {
  const wait = t0 + i * period - Number(process.hrtime.bigint()) / 1e6;
  if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
  Atomics.add(ticks, 0, 1);
  Atomics.notify(ticks, 0);
}
`;

/**
 * Ticks at t0 + i·period for i < total. `onTick` runs on the main thread after each wake-up
 * (possibly covering several due times if the main thread was busy).
 */
export function startMetronome({ t0, period, total, onTick }) {
  const buffer = new SharedArrayBuffer(8);
  const ticks = new Int32Array(buffer, 0, 1);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { buffer, t0, period, total } });
  let stopped = false;

  const arm = () => {
    if (stopped) return;
    const seen = Atomics.load(ticks, 0);
    // onTick returns true when something is already due again: run it now rather than
    // waiting for the next tick (a tick may have landed between its check and our load).
    if (onTick()) {
      setImmediate(arm);
      return;
    }
    const wait = Atomics.waitAsync(ticks, 0, seen);
    if (wait.async) wait.value.then(arm);
    else setImmediate(arm);
  };
  setImmediate(arm);

  return {
    stop() {
      stopped = true;
      return worker.terminate();
    },
  };
}
