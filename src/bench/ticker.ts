/**
 * A precise wake-up for the generator. Node timers fire ≈ 0.5 ms late at the median and 1–2 ms
 * at p99 (measured for benchmarks/lib/metronome.mjs), which would be charged to the target as
 * latency. A helper thread sleeps in Atomics.wait (a futex, µs precision) until the due time the
 * generator posted, then wakes it through Atomics.waitAsync: p99 ≈ 0.25 ms, a few % of a core.
 */
import { Worker } from 'node:worker_threads';

/** Milliseconds on the monotonic clock every thread of the process shares. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Atomics.waitAsync is ES2024 (Node 20 has it; the project's TypeScript lib is ES2023). */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

const SEQ = 0;
const TICKS = 1;
const STOP = 2;

const SOURCE = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData, 0, 4);
const due = new Float64Array(workerData, 16, 1);
const now = () => Number(process.hrtime.bigint()) / 1e6;
for (;;) {
  if (Atomics.load(ctl, ${STOP}) === 1) break;
  const seq = Atomics.load(ctl, ${SEQ});
  const wait = due[0] - now();
  if (wait > 0) {
    Atomics.wait(ctl, ${SEQ}, seq, wait);
    continue;
  }
  Atomics.add(ctl, ${TICKS}, 1);
  Atomics.notify(ctl, ${TICKS});
  Atomics.wait(ctl, ${SEQ}, seq);
}
`;

export class Ticker {
  private readonly buffer = new SharedArrayBuffer(24);
  private readonly ctl = new Int32Array(this.buffer, 0, 4);
  private readonly due = new Float64Array(this.buffer, 16, 1);
  private readonly worker: Worker;

  private readonly online: Promise<void>;

  constructor() {
    this.due[0] = Number.POSITIVE_INFINITY;
    this.worker = new Worker(SOURCE, { eval: true, workerData: this.buffer });
    this.online = new Promise((resolve, reject) => {
      this.worker.once('online', resolve);
      this.worker.once('error', reject);
    });
  }

  /** Resolves once the helper thread runs (starting a thread can take long on a busy machine). */
  ready(): Promise<void> {
    return this.online;
  }

  /** Resolves at `dueMs` (monotonic ms) or soon after; at once when it has passed. */
  async waitUntil(dueMs: number): Promise<void> {
    const seen = Atomics.load(this.ctl, TICKS);
    this.due[0] = dueMs;
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
    const result = waitAsync(this.ctl, TICKS, seen);
    if (result.async) await result.value;
  }

  async stop(): Promise<void> {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
    await this.worker.terminate();
  }
}
