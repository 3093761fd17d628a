/**
 * A worker's side of the panels (panels.ts): reads the metric families they show from this
 * process's registry, and tenancy's recent usage from the usage meter (bounded top lists: the
 * meter keeps every key, the sample carries at most 2 × TOP_ROWS of them).
 */
import { METRIC } from '../metrics/names.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import {
  MAX_KEY_ROWS,
  type PanelSample,
  type RelayerPanelSample,
  type TenancyPanelSample,
  TOP_ROWS,
  topBy,
  type UsageRow,
} from './panels.js';

interface MetricValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName?: string;
}

/** One metric family's values, undefined when this process does not have it. */
export type ReadMetric = (name: string) => Promise<MetricValue[] | undefined>;

export async function readPanels(read: ReadMetric, tenancy: Tenancy | undefined): Promise<PanelSample> {
  const stages: Record<string, [number, number]> = {};
  for (const { labels, value, metricName } of (await read(METRIC.stageDuration)) ?? []) {
    const stage = String(labels.stage);
    const row = stages[stage] ?? [0, 0];
    stages[stage] = row;
    if (metricName?.endsWith('_sum')) row[0] += value;
    else if (metricName?.endsWith('_count')) row[1] += value;
  }
  const failover: Record<string, [number, number, number]> = {};
  const network = (name: string) => {
    const row = failover[name] ?? [0, 0, 0];
    failover[name] = row;
    return row;
  };
  for (const { labels, value } of (await read(METRIC.retries)) ?? [])
    network(String(labels.network))[0] += value;
  for (const { labels, value } of (await read(METRIC.hedges)) ?? [])
    network(String(labels.network))[labels.phase === 'won' ? 2 : 1] += value;
  const reorgs = await read(METRIC.reorgs);
  return {
    stages,
    failover,
    reorgs:
      reorgs === undefined
        ? undefined
        : { reorgs: total(reorgs), invalidated: total(await read(METRIC.reorgInvalidated)) },
    relayer: await readRelayerPanel(read),
    tenancy: tenancy === undefined ? undefined : readTenancyPanel(tenancy),
  };
}

const total = (values: readonly MetricValue[] | undefined) =>
  (values ?? []).reduce((sum, { value }) => sum + value, 0);

async function readRelayerPanel(read: ReadMetric): Promise<RelayerPanelSample | undefined> {
  // As the relayer panel of worker-sample.ts: off without the relayer's intake metrics.
  if ((await read(METRIC.relayerAccepted)) === undefined) return undefined;
  // First: reading it hands the engine's samples to both histograms (relayer-engine-metrics.ts).
  const confirmation = (await read(METRIC.relayerConfirmationSeconds)) ?? [];
  const { counts, bounds } = bucketCounts(confirmation);
  const batches = (await read(METRIC.relayerBatchSize)) ?? [];
  const failedByReason: Record<string, number> = {};
  for (const { labels, value } of (await read(METRIC.relayerFailed)) ?? [])
    failedByReason[String(labels.reason)] = (failedByReason[String(labels.reason)] ?? 0) + value;
  const keys = new Map<string, [string, number, number]>();
  const key = (address: string) => {
    let row = keys.get(address);
    if (row === undefined && keys.size < MAX_KEY_ROWS) {
      row = [address, 0, 0];
      keys.set(address, row);
    }
    return row;
  };
  for (const { labels, value } of (await read(METRIC.relayerKeyInflight)) ?? []) {
    const row = key(String(labels.key));
    if (row !== undefined) row[1] = value;
  }
  for (const { labels, value } of (await read(METRIC.relayerKeyNonce)) ?? []) {
    const row = key(String(labels.key));
    if (row !== undefined) row[2] = value;
  }
  return {
    batches: total(batches.filter(({ metricName }) => metricName?.endsWith('_count'))),
    batchedTransfers: total(batches.filter(({ metricName }) => metricName?.endsWith('_sum'))),
    confirmBuckets: counts,
    confirmBounds: bounds,
    failedByReason,
    keys: [...keys.values()],
  };
}

/** A histogram family (unlabelled apart from `le`) as per-bucket counts; the last is +Inf. */
function bucketCounts(values: readonly MetricValue[]): { counts: number[]; bounds: number[] } {
  const cumulative = new Map<number, number>();
  for (const { labels, value, metricName } of values) {
    if (!metricName?.endsWith('_bucket')) continue;
    const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
    cumulative.set(le, (cumulative.get(le) ?? 0) + value);
  }
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  let previous = 0;
  const counts = bounds.map((bound) => {
    const count = cumulative.get(bound)! - previous;
    previous = cumulative.get(bound)!;
    return count;
  });
  return { counts, bounds: bounds.filter((bound) => Number.isFinite(bound)) };
}

export function readTenancyPanel(tenancy: Tenancy): TenancyPanelSample | undefined {
  const { meter, keys: keyCache } = tenancy.parts;
  if (meter === undefined || keyCache === undefined) return undefined;
  const recent = meter.recentUsage();
  const projects = new Map<
    string,
    { id: string; requests: number; computeUnits: number; rateLimited: number }
  >();
  for (const row of recent) {
    const project = projects.get(row.projectId) ?? {
      id: row.projectId,
      requests: 0,
      computeUnits: 0,
      rateLimited: 0,
    };
    project.requests += row.requests;
    project.computeUnits += row.computeUnits;
    project.rateLimited += row.rateLimited;
    projects.set(row.projectId, project);
  }
  const byRequests = (row: { requests: number }) => row.requests;
  const byUnits = (row: { computeUnits: number }) => row.computeUnits;
  const topKeys = topBy(recent, TOP_ROWS, byRequests, byUnits);
  const topProjects = topBy([...projects.values()], TOP_ROWS, byRequests, byUnits);
  const left = keyCache.creditsLeftByProject();
  const lowest = [...left].sort((a, b) => a[1] - b[1]).slice(0, TOP_ROWS);
  const creditIds = new Set([...lowest.map(([id]) => id), ...topProjects.map(({ id }) => id)]);
  const names = keyCache.describe(new Set(topKeys.map(({ keyId }) => keyId)), creditIds);
  const projectName = (id: string) => names.projects.get(id) ?? id;
  const usage = (name: string, row: Omit<UsageRow, 'name'>, project?: string): UsageRow => ({
    name,
    project,
    requests: row.requests,
    computeUnits: row.computeUnits,
    rateLimited: row.rateLimited,
  });
  return {
    keys: topKeys.map((row) =>
      usage(names.keys.get(row.keyId) ?? row.keyId, row, projectName(row.projectId)),
    ),
    projects: topProjects.map((row) => usage(projectName(row.id), row)),
    credits: [...creditIds].flatMap((id) => {
      const credits = left.get(id);
      return credits === undefined ? [] : [[projectName(id), credits] as const];
    }),
  };
}
