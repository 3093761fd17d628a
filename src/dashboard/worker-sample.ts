/**
 * Reads one process's counters for the dashboard (snapshot.ts WorkerSample) from its metrics
 * registry: only the families the page shows, one `get()` each, once a second. The event-loop
 * gauges are not read: their window is "since the previous scrape", and a reader every second
 * would shorten Prometheus's window. The process probe keeps its own window instead.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { METRIC } from '../metrics/names.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { readPanels } from './panel-reader.js';
import type { CacheSample, ProcessSample, RelayerSample, UpstreamSample, WorkerSample } from './snapshot.js';

interface Value {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName?: string;
}

/** Event-loop utilisation and delay since the previous sample, heap and RSS, of this process. */
export class ProcessProbe {
  private lastElu = performance.eventLoopUtilization();
  // Its own monitor (a libuv timer, no JS per tick): the metrics' one is reset by scrapes.
  private readonly delay = monitorEventLoopDelay({ resolution: 20 });

  constructor() {
    this.delay.enable();
  }

  read(): ProcessSample {
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, this.lastElu).utilization;
    this.lastElu = now;
    // Ticks are recorded as period plus lateness.
    const delayP99Ms = this.delay.count > 0 ? Math.max(0, this.delay.percentile(99) / 1e6 - 20) : 0;
    this.delay.reset();
    const memory = process.memoryUsage();
    return { elu, delayP99Ms, heapBytes: memory.heapUsed, rssBytes: memory.rss };
  }

  close(): void {
    this.delay.disable();
  }
}

export interface SampleOptions {
  readonly worker: string;
  /** Whether this process reads the relayer's queue depth (a store query; one worker does it). */
  readonly readQueue: boolean;
  /** The tenancy layer, for the top projects and keys (its usage meter); undefined when off. */
  readonly tenancy?: (() => Tenancy | undefined) | undefined;
}

export async function sampleWorker(
  registry: Registry,
  probe: ProcessProbe,
  options: SampleOptions,
): Promise<WorkerSample> {
  const read = async (name: string): Promise<Value[] | undefined> => {
    const metric = registry.getSingleMetric(name);
    if (metric === undefined) return undefined;
    return ((await metric.get()) as { values: Value[] }).values;
  };
  const requests: [string, string, string, number][] = [];
  for (const { labels, value } of (await read(METRIC.requests)) ?? [])
    requests.push([String(labels.network), String(labels.method), String(labels.status), value]);
  const { latency, bounds } = perNetworkHistogram((await read(METRIC.requestDuration)) ?? []);
  return {
    worker: options.worker,
    requests,
    latency,
    latencyBounds: bounds,
    upstreams: await readUpstreams(read),
    cache: await readCache(read),
    relayer: await readRelayer(read, options.readQueue),
    process: probe.read(),
    panels: await readPanels(read, options.tenancy?.()),
  };
}

/** The request-duration histogram summed over methods, per network, as per-bucket counts. */
function perNetworkHistogram(values: readonly Value[]): {
  latency: Record<string, number[]>;
  bounds: number[];
} {
  const cumulative = new Map<string, Map<number, number>>();
  const boundSet = new Set<number>();
  for (const { labels, value, metricName } of values) {
    if (metricName === undefined || !metricName.endsWith('_bucket')) continue;
    const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
    boundSet.add(le);
    const network = String(labels.network);
    let byBound = cumulative.get(network);
    if (byBound === undefined) {
      byBound = new Map();
      cumulative.set(network, byBound);
    }
    byBound.set(le, (byBound.get(le) ?? 0) + value);
  }
  const all = [...boundSet].sort((a, b) => a - b);
  const latency: Record<string, number[]> = {};
  for (const [network, byBound] of cumulative) {
    let previous = 0;
    latency[network] = all.map((bound) => {
      const total = byBound.get(bound) ?? previous;
      const count = total - previous;
      previous = total;
      return count;
    });
  }
  return { latency, bounds: all.filter((bound) => Number.isFinite(bound)) };
}

type Read = (name: string) => Promise<Value[] | undefined>;

async function readUpstreams(read: Read): Promise<UpstreamSample[]> {
  const rows = new Map<string, { network: string; id: string } & Record<string, number>>();
  /** Sums a family into `field` per upstream; `keep` picks the series (a sub-metric, a label). */
  const take = async (name: string, field: string, keep?: (value: Value) => boolean) => {
    for (const entry of (await read(name)) ?? []) {
      if (keep !== undefined && !keep(entry)) continue;
      const { labels, value } = entry;
      const network = String(labels.network);
      const id = String(labels.upstream);
      const key = `${network}\u0000${id}`;
      let row = rows.get(key);
      if (row === undefined) {
        row = { network, id } as { network: string; id: string } & Record<string, number>;
        rows.set(key, row);
      }
      row[field] = (row[field] ?? 0) + value;
    }
  };
  await take(METRIC.upstreamAvailable, 'available');
  await take(METRIC.upstreamAttempts, 'attempts');
  const series = (metricName: string) => (value: Value) => value.metricName === metricName;
  await take(METRIC.upstreamLatency, 'latencySum', series(`${METRIC.upstreamLatency}_sum`));
  await take(METRIC.upstreamLatency, 'latencyCount', series(`${METRIC.upstreamLatency}_count`));
  await take(METRIC.upstreamInflight, 'inflight');
  await take(METRIC.upstreamBreakerState, 'breaker');
  await take(METRIC.upstreamHead, 'head');
  await take(METRIC.upstreamHeadLag, 'lag');
  await take(METRIC.upstreamErrorRate, 'errorRate');
  await take(METRIC.upstreamExcluded, 'excluded');
  await take(METRIC.retries, 'retries');
  await take(METRIC.hedges, 'hedges', (value) => value.labels.phase === 'started');
  return [...rows.values()]
    .filter((row) => row.available !== undefined)
    .map((row) => ({
      network: row.network,
      id: row.id,
      attempts: row.attempts ?? 0,
      latencySum: row.latencySum ?? 0,
      latencyCount: row.latencyCount ?? 0,
      inflight: row.inflight ?? 0,
      available: row.available === 1,
      breaker: row.breaker ?? 0,
      head: row.head ?? -1,
      lag: row.lag ?? 0,
      errorRate: row.errorRate ?? 0,
      excluded: row.excluded === 1,
      retries: row.retries ?? 0,
      hedges: row.hedges ?? 0,
    }));
}

async function readCache(read: Read): Promise<CacheSample | undefined> {
  const requests = await read(METRIC.cacheRequests);
  if (requests === undefined) return undefined;
  const by = (result: string) =>
    requests.reduce((sum, { labels, value }) => (labels.result === result ? sum + value : sum), 0);
  const total = (values: Value[] | undefined) => (values ?? []).reduce((sum, { value }) => sum + value, 0);
  return {
    hits: by('hit'),
    misses: by('miss'),
    coalesced: by('coalesced'),
    entries: total(await read(METRIC.cacheEntries)),
    bytes: total(await read(METRIC.cacheBytes)),
  };
}

async function readRelayer(read: Read, readQueue: boolean): Promise<RelayerSample | undefined> {
  const accepted = await read(METRIC.relayerAccepted);
  if (accepted === undefined) return undefined;
  const total = (values: Value[] | undefined) => (values ?? []).reduce((sum, { value }) => sum + value, 0);
  let queue: Record<string, number> | undefined;
  if (readQueue) {
    queue = {};
    for (const { labels, value } of (await read(METRIC.relayerQueueDepth)) ?? [])
      queue[String(labels.state)] = value;
  }
  return {
    accepted: total(accepted),
    confirmed: total(await read(METRIC.relayerConfirmed)),
    failed: total(await read(METRIC.relayerFailed)),
    queue,
  };
}
