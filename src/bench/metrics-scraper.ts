/**
 * Scrapes the gateway's `/metrics` before, during and after a run and keeps the signals the
 * verdict reads: event-loop utilization and delay per worker, server and upstream
 * in-flight (and an upstream queue gauge when the gateway has one), cache results, rate-limit
 * refusals and the request-duration sums for Little's law. Runs on the coordinator thread,
 * never on a generator's.
 */
import { METRIC } from '../metrics/names.js';
import { type PromSample, parsePrometheusText, sumOf } from './prometheus-text.js';

export interface ServerSample {
  /** Milliseconds since t0 (negative before the run). */
  at: number;
  /** Set when the scrape failed. */
  error?: string;
  /** Event-loop utilization since the previous scrape, by worker label. */
  elu: Record<string, number>;
  /**
   * Event-loop delay since the previous scrape by worker label, ms
   * (`turnpike_event_loop_delay_seconds`). Absent when the gateway does not export it, and in
   * reports written before it existed.
   */
  loopDelay?: Record<string, LoopDelay>;
  /** prom-client's event-loop delay gauges (the process or, in a cluster, merged over workers). */
  loopDelayP99Ms: number | undefined;
  loopDelayMaxMs: number | undefined;
  inflight: number | undefined;
  upstreamInflight: number | undefined;
  /** Any `turnpike_upstream_queue*` gauge, summed; undefined while the gateway has none. */
  upstreamQueue: number | undefined;
  /** Counters (cumulative). */
  requests: number | undefined;
  rateLimited: number | undefined;
  cacheHits: number | undefined;
  cacheMisses: number | undefined;
  cacheCoalesced: number | undefined;
  durationSum: number | undefined;
  durationCount: number | undefined;
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

const QUANTILE_FIELD: Record<string, keyof LoopDelay> = { '0.5': 'p50', '0.99': 'p99', '1': 'max' };

/** Refusals that mean "over the limit" in `turnpike_requests_total{status}`. */
const RATE_LIMIT_STATUSES = ['ERR_RATE_LIMITED', 'ERR_QUOTA_EXCEEDED', 'ERR_CREDITS_EXHAUSTED'];

function present(samples: readonly PromSample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}

export function extractSignals(samples: readonly PromSample[], at: number): ServerSample {
  const maybe = (name: string, where: Record<string, string> = {}) =>
    present(samples, name) ? sumOf(samples, name, where) : undefined;
  const elu: Record<string, number> = {};
  const loopDelay: Record<string, LoopDelay> = {};
  for (const s of samples) {
    if (s.name === METRIC.eventLoopUtilization) elu[s.labels.worker ?? 'main'] = s.value;
    const field = s.name === METRIC.eventLoopDelay ? QUANTILE_FIELD[s.labels.quantile ?? ''] : undefined;
    if (field !== undefined) {
      const worker = s.labels.worker ?? 'main';
      loopDelay[worker] ??= { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
      loopDelay[worker][field] = s.value * 1000;
    }
  }
  const seconds = (name: string) => {
    const value = maybe(name);
    return value === undefined ? undefined : value * 1000;
  };
  const queueNames = [
    ...new Set(samples.map((s) => s.name).filter((n) => n.startsWith('turnpike_upstream_queue'))),
  ];
  const requestsPresent = present(samples, METRIC.requests);
  return {
    at,
    elu,
    ...(present(samples, METRIC.eventLoopDelay) && { loopDelay }),
    loopDelayP99Ms: seconds('nodejs_eventloop_lag_p99_seconds'),
    loopDelayMaxMs: seconds('nodejs_eventloop_lag_max_seconds'),
    inflight: maybe(METRIC.inflightRequests),
    upstreamInflight: maybe(METRIC.upstreamInflight),
    upstreamQueue:
      queueNames.length === 0 ? undefined : queueNames.reduce((sum, n) => sum + sumOf(samples, n), 0),
    requests: maybe(METRIC.requests),
    rateLimited: requestsPresent
      ? RATE_LIMIT_STATUSES.reduce((sum, status) => sum + sumOf(samples, METRIC.requests, { status }), 0)
      : undefined,
    cacheHits: maybe(METRIC.cacheRequests, { result: 'hit' }),
    cacheMisses: maybe(METRIC.cacheRequests, { result: 'miss' }),
    cacheCoalesced: maybe(METRIC.cacheRequests, { result: 'coalesced' }),
    durationSum: maybe(`${METRIC.requestDuration}_sum`),
    durationCount: maybe(`${METRIC.requestDuration}_count`),
  };
}

function emptySample(at: number, error: string): ServerSample {
  return {
    at,
    error,
    elu: {},
    loopDelayP99Ms: undefined,
    loopDelayMaxMs: undefined,
    inflight: undefined,
    upstreamInflight: undefined,
    upstreamQueue: undefined,
    requests: undefined,
    rateLimited: undefined,
    cacheHits: undefined,
    cacheMisses: undefined,
    cacheCoalesced: undefined,
    durationSum: undefined,
    durationCount: undefined,
  };
}

export class MetricsScraper {
  readonly samples: ServerSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly clock: () => number,
  ) {}

  async scrape(): Promise<ServerSample> {
    const at = this.clock();
    let sample: ServerSample;
    try {
      // undici is loaded on the first scrape: a run that scrapes nothing never loads it here.
      const { request } = await import('undici');
      const response = await request(this.url, {
        headers: this.headers,
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      const text = await response.body.text();
      sample =
        response.statusCode === 200
          ? extractSignals(parsePrometheusText(text), at)
          : emptySample(at, `HTTP ${response.statusCode}`);
    } catch (err) {
      sample = emptySample(at, (err as Error).message);
    }
    this.samples.push(sample);
    return sample;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.scrape().finally(() => {
        this.busy = false;
      });
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** True when at least one scrape answered with metrics. */
  get reachable(): boolean {
    return this.samples.some((s) => s.error === undefined);
  }
}

/** What the gateway reported over a stretch of scrapes (counters as differences). */
export interface ServerSummary {
  scrapes: number;
  /** Requests the gateway counted (batch items included). */
  requests: number | undefined;
  rateLimited: number | undefined;
  /** hit / (hit + miss + coalesced); undefined without cacheable requests. */
  cacheHitRatio: number | undefined;
  eluMaxByWorker: Record<string, number>;
  /**
   * Highest per-scrape event-loop delay p99 and max of each worker, ms; absent when the gateway
   * does not export `turnpike_event_loop_delay_seconds`.
   */
  loopDelayByWorker?: Record<string, { p99Max: number; max: number }>;
  /** prom-client's process-level p99 (merged over workers in a cluster), highest scrape. */
  loopDelayP99MaxMs: number | undefined;
  inflightMax: number | undefined;
  upstreamInflightMax: number | undefined;
}

export function summarizeSamples(samples: readonly ServerSample[]): ServerSummary {
  const ok = samples.filter((s) => s.error === undefined);
  const delta = (pick: (s: ServerSample) => number | undefined) => {
    const values = ok.flatMap((s) => (pick(s) === undefined ? [] : [pick(s)!]));
    return values.length >= 2 ? values[values.length - 1]! - values[0]! : undefined;
  };
  const max = (pick: (s: ServerSample) => number | undefined) => {
    const values = ok.flatMap((s) => (pick(s) === undefined ? [] : [pick(s)!]));
    return values.length > 0 ? Math.max(...values) : undefined;
  };
  const hits = delta((s) => s.cacheHits);
  const lookups = (hits ?? 0) + (delta((s) => s.cacheMisses) ?? 0) + (delta((s) => s.cacheCoalesced) ?? 0);
  const eluMaxByWorker: Record<string, number> = {};
  for (const s of ok)
    for (const [worker, value] of Object.entries(s.elu))
      eluMaxByWorker[worker] = Math.max(eluMaxByWorker[worker] ?? 0, value);
  const loopDelayByWorker: Record<string, { p99Max: number; max: number }> = {};
  for (const s of ok)
    for (const [worker, delay] of Object.entries(s.loopDelay ?? {})) {
      const seen = loopDelayByWorker[worker];
      loopDelayByWorker[worker] = {
        p99Max: Math.max(seen?.p99Max ?? 0, delay.p99),
        max: Math.max(seen?.max ?? 0, delay.max),
      };
    }
  return {
    scrapes: ok.length,
    requests: delta((s) => s.requests),
    rateLimited: delta((s) => s.rateLimited),
    cacheHitRatio: hits !== undefined && lookups > 0 ? hits / lookups : undefined,
    eluMaxByWorker,
    ...(ok.some((s) => s.loopDelay !== undefined) && { loopDelayByWorker }),
    loopDelayP99MaxMs: max((s) => s.loopDelayP99Ms),
    inflightMax: max((s) => s.inflight),
    upstreamInflightMax: max((s) => s.upstreamInflight),
  };
}
