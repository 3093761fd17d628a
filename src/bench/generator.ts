/**
 * One open-model generator: sends its slice of the schedule at the due times whatever the
 * target does, through one keep-alive undici Pool of an explicit size, and records intended,
 * sent (written to a socket), first byte and end of every request. In-flight is bounded: at the
 * bound a request waits in a FIFO (`queue`, latency still counted from its intended time) or is
 * counted as `dropped` (`drop`). Runs on the main thread or inside a worker_threads worker.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { type Dispatcher, Pool } from 'undici';
import { errorKind } from './error-kind.js';
import { Exchange, type ExchangeOwner } from './exchange.js';
import { encodeHistogram, newHistogram, recordMs } from './histogram.js';
import { OutcomeLog, type OutcomeSnapshot } from './outcomes.js';
import { Recorder, type RecorderSnapshot } from './recorder.js';
import { checkResponse, compileMix, type RequestKind, type RequestMix } from './request-mix.js';
import type { Scenario } from './scenario-schema.js';
import { type Arrival, ScheduleSlice } from './schedule.js';
import { readServerTiming } from './server-timing-header.js';
import { monotonicMs, Ticker } from './ticker.js';

export interface GeneratorOptions {
  scenario: Scenario;
  worker: number;
  workers: number;
  /** About once a second: what happened since the previous call. */
  onLive?: (live: LiveStats) => void;
  /** Keep every request's outcome by sequence number (see outcomes.ts). @default false */
  outcomes?: boolean;
}

export interface LiveStats {
  worker: number;
  /** Milliseconds since t0. */
  at: number;
  /** Written to a socket. */
  sent: number;
  ok: number;
  errors: number;
  /** In flight plus waiting at the in-flight bound. */
  outstanding: number;
  /** Corrected latency of the requests that ended in the interval (encoded HDR histogram). */
  corrected: string;
}

export interface GeneratorSelf {
  worker: number;
  /** Event-loop utilization of the generator thread while it sent (0–1). */
  elu: number;
  delayP99Ms: number;
  delayMaxMs: number;
  /** Requests still unanswered when the drain deadline passed. */
  abandoned: number;
}

export interface GeneratorResult {
  snapshot: RecorderSnapshot;
  self: GeneratorSelf;
  outcomes?: OutcomeSnapshot;
}

type Body = string | Uint8Array | undefined;

/**
 * Sampling interval of the event-loop delay monitor. Its timer wakes the thread every interval
 * when nothing else does; at 1 ms that was an extra wake-up per request at 1,000 requests/s, and
 * each costs tens of µs of CPU on a VM. 10 ms still sees the stalls the self-check cares about
 * (p99 > 20 ms). The monitor records whole intervals (Node 20: never below the resolution), so
 * the resolution is taken off to get the delay.
 */
const LOOP_DELAY_RESOLUTION_MS = 10;

/** How late the monitor's timer fired, ms: a recorded interval (ns) less the resolution. */
const loopDelayMs = (intervalNs: number): number => Math.max(0, intervalNs / 1e6 - LOOP_DELAY_RESOLUTION_MS);

interface Queued {
  arrival: Arrival;
  kind: RequestKind;
  intended: number;
  body: Body;
  headers: Record<string, string>;
}

export class LoadGenerator implements ExchangeOwner {
  readonly recorder: Recorder;
  private readonly outcomes: OutcomeLog | undefined;
  private readonly mix: RequestMix;
  private readonly slice: ScheduleSlice;
  private readonly pool: Pool;
  private readonly ticker = new Ticker();
  private readonly bound: number;
  private readonly drop: boolean;
  private readonly timeoutMs: number;
  private readonly queue: Queued[] = [];
  private queueHead = 0;
  private inflight = 0;
  /** Arrivals whose due times are posted to the ticker, oldest at aheadHead. */
  private readonly ahead: Arrival[] = [];
  private aheadHead = 0;
  private sliceDone = false;
  private live = { sent: 0, ok: 0, errors: 0, corrected: newHistogram() };
  private drained: (() => void) | undefined;
  private refilling = false;
  private pumping = false;
  private closing = false;
  /** Monotonic milliseconds (see ticker.ts) of the schedule's start, shared by all workers. */
  private t0 = Number.NaN;
  /** Phase of the answer whose Server-Timing is being read (one callback, not one per answer). */
  private stagePhase = 0;
  private readonly onStage = (stage: string, ms: number) => this.recorder.stage(this.stagePhase, stage, ms);

  constructor(private readonly options: GeneratorOptions) {
    const { scenario, workers } = options;
    this.mix = compileMix(scenario);
    this.recorder = new Recorder(scenario.phases.length, this.mix.kinds.length);
    this.outcomes = options.outcomes ? new OutcomeLog(options.worker, workers) : undefined;
    this.slice = new ScheduleSlice({
      phases: scenario.phases.map((p) => ({
        name: p.name,
        duration: p.duration,
        from: p.rate ?? p.from ?? 0,
        to: p.rate ?? p.to ?? 0,
      })),
      arrivals: scenario.arrivals,
      worker: options.worker,
      workers,
      seed: scenario.seed,
    });
    this.timeoutMs = scenario.timeout * 1000;
    const connections = Math.max(1, Math.ceil(scenario.connections / workers));
    this.bound = Math.max(1, Math.ceil((scenario.inflight.max ?? scenario.connections) / workers));
    this.drop = scenario.inflight.policy === 'drop';
    this.pool = new Pool(new URL(scenario.target).origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connectTimeout: Math.min(this.timeoutMs, 10_000),
    });
  }

  /** Milliseconds since t0. */
  now(): number {
    return monotonicMs() - this.t0;
  }

  /** Resolves when the generator can keep a schedule (its ticker thread runs, `generate` modules loaded). */
  async prepare(): Promise<void> {
    await Promise.all([this.ticker.ready(), this.mix.load()]);
  }

  /** Sends the slice on the schedule that starts at `t0` (monotonic ms). */
  async run(t0: number): Promise<GeneratorResult> {
    this.t0 = t0;
    const delay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    let eluStart: ReturnType<typeof performance.eventLoopUtilization> | undefined;
    // Live figures on whole seconds of the schedule, so every thread reports the same interval.
    let liveTimer: NodeJS.Timeout | undefined;
    const liveStart = setTimeout(
      () => {
        liveTimer = setInterval(() => this.emitLive(), 1000);
      },
      Math.max(0, t0 - monotonicMs()),
    );
    try {
      this.fill();
      for (let head = this.peek(); head !== undefined; head = this.peek()) {
        const seen = this.ticker.ticks();
        // Already due (the generator is behind): yield to I/O and send without waiting for a
        // tick; otherwise sleep until the ticker thread's tick for it.
        if (this.t0 + head.at * 1000 - monotonicMs() <= 0.02) await yieldToIo();
        else await this.ticker.waitForTick(seen);
        if (eluStart === undefined) {
          eluStart = performance.eventLoopUtilization();
          delay.enable();
        }
        this.pump();
        this.fill();
      }
      const elu = eluStart === undefined ? 0 : performance.eventLoopUtilization(eluStart).utilization;
      delay.disable();
      const abandoned = await this.drain();
      return {
        snapshot: this.recorder.snapshot(),
        ...(this.outcomes !== undefined && { outcomes: this.outcomes.snapshot() }),
        self: {
          worker: this.options.worker,
          elu,
          delayP99Ms: delay.count > 0 ? loopDelayMs(delay.percentile(99)) : 0,
          delayMaxMs: delay.count > 0 ? loopDelayMs(delay.max) : 0,
          abandoned,
        },
      };
    } finally {
      clearTimeout(liveStart);
      clearInterval(liveTimer);
      await this.ticker.stop();
      await this.pool.destroy().catch(() => undefined);
    }
  }

  /** Pulls arrivals from the schedule while the ticker's ring has room, posting their due times. */
  private fill(): void {
    for (let room = this.ticker.space(); room > 0 && !this.sliceDone; room--) {
      const arrival = this.slice.next();
      if (arrival === undefined) {
        this.sliceDone = true;
        break;
      }
      this.ahead.push(arrival);
      this.ticker.post(this.t0 + arrival.at * 1000);
    }
    if (this.aheadHead > 4096) {
      this.ahead.splice(0, this.aheadHead);
      this.aheadHead = 0;
    }
  }

  private peek(): Arrival | undefined {
    return this.ahead[this.aheadHead];
  }

  /** Sends every arrival that has come due (not re-entered from a send that settled at once). */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpDue();
    } finally {
      this.pumping = false;
    }
  }

  private pumpDue(): void {
    const now = this.now();
    for (
      let arrival = this.peek();
      arrival !== undefined && arrival.at * 1000 <= now;
      arrival = this.peek()
    ) {
      this.aheadHead++;
      const intended = arrival.at * 1000;
      this.recorder.arrival(intended, now - intended, this.inflight + this.queue.length - this.queueHead);
      const kind = this.mix.pick(arrival.seq);
      this.outcomes?.arrive(arrival.seq, kind.index);
      if (this.drop && this.inflight >= this.bound) {
        this.recorder.error(arrival.phase, kind.index, intended, 'dropped', undefined);
        this.outcomes?.settle(arrival.seq, 0, 'dropped');
        this.live.errors++;
        continue;
      }
      // Built on arrival, on the send loop: an exception in a `generate` module fails the run.
      let body: Body;
      let headers = kind.headers;
      if (kind.generate === undefined) body = this.mix.body(kind, arrival.seq);
      else ({ body, headers } = this.mix.generate(kind, arrival.seq));
      if (this.inflight < this.bound) this.send(arrival, kind, intended, body, headers);
      else this.queue.push({ arrival, kind, intended, body, headers });
    }
  }

  private send(
    arrival: Arrival,
    kind: RequestKind,
    intended: number,
    body: Body,
    headers: Record<string, string>,
  ): void {
    this.inflight++;
    const exchange = new Exchange(this, arrival, kind, intended);
    // Header and body timeouts are the pool's (set once in the constructor).
    this.pool.dispatch(
      { path: kind.path, method: kind.method as Dispatcher.HttpMethod, headers, body: body ?? null },
      exchange,
    );
  }

  /** The request was written to a socket. */
  markSent(intended: number, sent: number): void {
    this.recorder.sent(intended, sent);
    this.live.sent++;
  }

  /** Called once per request by its Exchange. */
  settle(exchange: Exchange, error: Error | undefined): void {
    const end = this.now();
    const { arrival, kind, intended } = exchange;
    this.inflight--;
    let failure: string | undefined;
    if (error !== undefined) failure = errorKind(error);
    else {
      const body = exchange.chunks === undefined ? exchange.body : Buffer.concat(exchange.chunks);
      failure = checkResponse(kind, exchange.status, body ?? '');
      if (exchange.serverTiming !== undefined) {
        this.stagePhase = arrival.phase;
        readServerTiming(exchange.serverTiming, this.onStage);
      }
    }
    this.outcomes?.settle(arrival.seq, exchange.status, failure);
    if (failure === undefined) {
      this.recorder.ok(arrival.phase, kind.index, intended, exchange.sent, exchange.firstByte, end);
      this.live.ok++;
      recordMs(this.live.corrected, end - intended);
    } else {
      this.recorder.error(arrival.phase, kind.index, intended, failure, end);
      this.live.errors++;
    }
    this.refill();
    // Awake anyway: send what came due meanwhile instead of waiting for its tick, which a burst
    // of answers (a target recovering from a stall) would hold back until all are processed.
    this.pump();
    this.fill();
    if (this.drained !== undefined && this.inflight === 0 && this.queueHead >= this.queue.length)
      this.drained();
  }

  /**
   * Sends queued requests while there is room. A loop, not recursion: a dispatch can fail
   * synchronously (closed pool) and settle at once. Once closing, what is left is unanswered.
   */
  private refill(): void {
    if (this.refilling) return;
    this.refilling = true;
    try {
      while (this.queueHead < this.queue.length && (this.closing || this.inflight < this.bound)) {
        const next = this.queue[this.queueHead]!;
        this.queue[this.queueHead++] = undefined as unknown as Queued;
        if (this.closing) {
          this.recorder.error(next.arrival.phase, next.kind.index, next.intended, 'unanswered', undefined);
          this.outcomes?.settle(next.arrival.seq, 0, 'unanswered');
        } else this.send(next.arrival, next.kind, next.intended, next.body, next.headers);
      }
      if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
    } finally {
      this.refilling = false;
    }
  }

  /** Waits for the answers still out, at most the request timeout (+1 s); returns how many never came. */
  private async drain(): Promise<number> {
    if (this.inflight === 0 && this.queueHead >= this.queue.length) return 0;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      timer = setTimeout(resolve, this.timeoutMs + 1000);
    });
    clearTimeout(timer);
    const left = this.inflight + this.queue.length - this.queueHead;
    this.closing = true;
    this.refill();
    return left;
  }

  private emitLive(): void {
    const { onLive } = this.options;
    if (onLive === undefined) return;
    onLive({
      worker: this.options.worker,
      at: this.now(),
      sent: this.live.sent,
      ok: this.live.ok,
      errors: this.live.errors,
      outstanding: this.inflight + this.queue.length - this.queueHead,
      corrected: encodeHistogram(this.live.corrected),
    });
    this.live = { sent: 0, ok: 0, errors: 0, corrected: newHistogram() };
  }
}
