/**
 * A precise wake-up for the generator. Node timers fire ≈ 0.5 ms late at the median and 1–2 ms
 * at p99 (measured on the benchmarks' first generator), which would be charged to the target as
 * latency. A helper thread sleeps in Atomics.wait (a futex, µs precision) until each due time
 * and wakes the generator through Atomics.waitAsync. The generator posts upcoming due times
 * into a shared ring ahead of time, so each tick costs one cross-thread wake-up, not two (the
 * helper never waits to be told the next time while the ring holds some).
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

/** Due times the ring holds. */
export const RING_SIZE = 256;
const POSTED = 0;
const TICKS = 1;
const STOP = 2;
const SLEEPER = 3;
const CONSUMED = 4;

const SOURCE = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData, 0, 8);
const ring = new Float64Array(workerData, 32, ${RING_SIZE});
const now = () => Number(process.hrtime.bigint()) / 1e6;
let consumed = 0;
for (;;) {
  if (Atomics.load(ctl, ${STOP}) === 1) break;
  const posted = Atomics.load(ctl, ${POSTED});
  if (consumed >= posted) {
    Atomics.wait(ctl, ${POSTED}, posted);
    continue;
  }
  const wait = ring[consumed % ${RING_SIZE}] - now();
  // SLEEPER is never notified: a precise sleep that new posts (always later) do not cut short.
  if (wait > 0) Atomics.wait(ctl, ${SLEEPER}, 0, wait);
  consumed++;
  Atomics.store(ctl, ${CONSUMED}, consumed);
  Atomics.add(ctl, ${TICKS}, 1);
  Atomics.notify(ctl, ${TICKS});
}
`;

export class Ticker {
  private readonly buffer = new SharedArrayBuffer(32 + RING_SIZE * 8);
  private readonly ctl = new Int32Array(this.buffer, 0, 8);
  private readonly ring = new Float64Array(this.buffer, 32, RING_SIZE);
  private readonly worker: Worker;
  private readonly online: Promise<void>;
  private posted = 0;

  constructor() {
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

  /** Room left in the ring. */
  space(): number {
    return RING_SIZE - (this.posted - Atomics.load(this.ctl, CONSUMED));
  }

  /** Queues a tick at `dueMs` (monotonic ms, not before the previous one); check space() first. */
  post(dueMs: number): void {
    this.ring[this.posted % RING_SIZE] = dueMs;
    this.posted++;
    Atomics.store(this.ctl, POSTED, this.posted);
    Atomics.notify(this.ctl, POSTED);
  }

  /** The tick counter, to pass to waitForTick. */
  ticks(): number {
    return Atomics.load(this.ctl, TICKS);
  }

  /** Resolves at the next tick after the counter read `seen` (at once if one came since). */
  async waitForTick(seen: number): Promise<void> {
    const result = waitAsync(this.ctl, TICKS, seen);
    if (result.async) await result.value;
  }

  async stop(): Promise<void> {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.notify(this.ctl, POSTED);
    await this.worker.terminate();
  }
}
