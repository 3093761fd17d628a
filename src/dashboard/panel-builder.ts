/**
 * Turns every worker's PanelSample into one second of the panels (panels.ts): rates from the
 * difference with the same worker's previous sample (a total that went down was a restarted
 * worker: all of it is new), sums across workers, the relayer's batch size and confirmation
 * latency over the last minute (a ring of 60 seconds), tenancy's top lists cut to TOP_ROWS
 * again after the merge. Pure bookkeeping: no I/O, no timers.
 */
import { MAX_KEY_ROWS, type PanelSample, type Panels, TOP_ROWS, topBy } from './panels.js';
import { delta, quantileMs, round } from './rates.js';

/** Seconds of relayer history behind the batch size and the confirmation quantiles. */
const WINDOW_SECONDS = 60;

export interface PanelInput {
  readonly worker: string;
  readonly panels?: PanelSample | undefined;
}

interface RelayerSecond {
  batches: number;
  transfers: number;
  confirm: number[];
}

export class PanelBuilder {
  private previous = new Map<string, PanelSample>();
  private readonly window: RelayerSecond[] = [];
  private confirmBounds: readonly number[] = [];

  /** `seconds`: since the previous build; `rateLimited`: ERR_RATE_LIMITED answers in it. */
  build(samples: readonly PanelInput[], seconds: number, rateLimited: number): Panels {
    const rate = (value: number) => round(value / seconds);
    const stageSums: Record<string, number> = {};
    let answered = 0;
    const failover = new Map<string, [number, number, number]>();
    let reorgs: Panels['reorgs'] = null;
    let invalidated = 0;
    for (const { worker, panels } of samples) {
      if (panels === undefined) continue;
      const was = this.previous.get(worker);
      for (const [stage, [sum, count]] of Object.entries(panels.stages)) {
        const old = was?.stages[stage];
        stageSums[stage] = (stageSums[stage] ?? 0) + delta(sum, old?.[0]);
        if (stage === 'total') answered += delta(count, old?.[1]);
      }
      for (const [network, totals] of Object.entries(panels.failover)) {
        const row = failover.get(network) ?? [0, 0, 0];
        totals.forEach((value, i) => {
          row[i]! += delta(value, was?.failover[network]?.[i]);
        });
        failover.set(network, row);
      }
      if (panels.reorgs !== undefined) {
        // Every worker follows the same chain: the reorgs are the most any worker saw.
        reorgs ??= { reorgs: 0, invalidated: 0, invalidatedPerSec: 0 };
        reorgs.reorgs = Math.max(reorgs.reorgs, panels.reorgs.reorgs);
        reorgs.invalidated += panels.reorgs.invalidated;
        invalidated += delta(panels.reorgs.invalidated, was?.reorgs?.invalidated);
      }
    }
    if (reorgs !== null) reorgs.invalidatedPerSec = rate(invalidated);
    const stages: Record<string, number> = {};
    for (const [stage, sum] of Object.entries(stageSums))
      stages[stage] = answered === 0 ? 0 : round((sum / answered) * 1000);
    const panels: Panels = {
      stages: answered === 0 ? null : stages,
      failover: [...failover].map(([network, [retries, hedges, won]]) => ({
        network,
        retriesPerSec: rate(retries),
        hedgesPerSec: rate(hedges),
        hedgesWonPerSec: rate(won),
      })),
      reorgs,
      relayer: this.relayer(samples, rate),
      tenancy: tenancy(samples, rate, rate(rateLimited)),
    };
    this.previous = new Map();
    for (const { worker, panels: sample } of samples)
      if (sample !== undefined) this.previous.set(worker, sample);
    return panels;
  }

  private relayer(samples: readonly PanelInput[], rate: (value: number) => number): Panels['relayer'] {
    let any = false;
    const second: RelayerSecond = { batches: 0, transfers: 0, confirm: [] };
    const failedByReason: Record<string, number> = {};
    const keys: { key: string; inflight: number; nonce: number }[] = [];
    for (const { worker, panels } of samples) {
      const relayer = panels?.relayer;
      if (relayer === undefined) continue;
      any = true;
      const was = this.previous.get(worker)?.relayer;
      second.batches += delta(relayer.batches, was?.batches);
      second.transfers += delta(relayer.batchedTransfers, was?.batchedTransfers);
      if (relayer.confirmBounds.length > 0) this.confirmBounds = relayer.confirmBounds;
      relayer.confirmBuckets.forEach((count, i) => {
        second.confirm[i] = (second.confirm[i] ?? 0) + delta(count, was?.confirmBuckets[i]);
      });
      for (const [reason, count] of Object.entries(relayer.failedByReason))
        failedByReason[reason] = (failedByReason[reason] ?? 0) + count;
      for (const [key, inflight, nonce] of relayer.keys)
        if (keys.length < MAX_KEY_ROWS) keys.push({ key, inflight, nonce });
    }
    if (!any) return null;
    this.window.push(second);
    if (this.window.length > WINDOW_SECONDS) this.window.shift();
    let batches = 0;
    let transfers = 0;
    const confirm: number[] = [];
    for (const past of this.window) {
      batches += past.batches;
      transfers += past.transfers;
      past.confirm.forEach((count, i) => {
        confirm[i] = (confirm[i] ?? 0) + count;
      });
    }
    keys.sort((a, b) => (a.key < b.key ? -1 : 1));
    return {
      batchesPerSec: rate(second.batches),
      meanBatchSize: batches === 0 ? null : round(transfers / batches),
      confirmP50Ms: quantileMs(confirm, this.confirmBounds, 0.5),
      confirmP99Ms: quantileMs(confirm, this.confirmBounds, 0.99),
      failedByReason,
      keys,
    };
  }
}

/** The workers' recent usage summed per key and per project, cut to the top rows. */
function tenancy(
  samples: readonly PanelInput[],
  rate: (value: number) => number,
  rateLimitedPerSec: number,
): Panels['tenancy'] {
  type Sum = { name: string; project: string; requests: number; computeUnits: number; rateLimited: number };
  const keys = new Map<string, Sum>();
  const projects = new Map<string, Sum>();
  const credits = new Map<string, number>();
  let any = false;
  const add = (into: Map<string, Sum>, id: string, row: Omit<Sum, 'name' | 'project'>, project = '') => {
    const sum = into.get(id) ?? { name: id, project, requests: 0, computeUnits: 0, rateLimited: 0 };
    sum.requests += row.requests;
    sum.computeUnits += row.computeUnits;
    sum.rateLimited += row.rateLimited;
    into.set(id, sum);
  };
  for (const { panels } of samples) {
    const usage = panels?.tenancy;
    if (usage === undefined) continue;
    any = true;
    for (const row of usage.keys) add(keys, row.name, row, row.project);
    for (const row of usage.projects) add(projects, row.name, row);
    // Each worker subtracts only what it served since its last balance read: the lowest is closest.
    for (const [project, left] of usage.credits)
      credits.set(project, Math.min(left, credits.get(project) ?? left));
  }
  if (!any) return null;
  const byRequests = (row: Sum) => row.requests;
  const byUnits = (row: Sum) => row.computeUnits;
  const top = (rows: Map<string, Sum>) =>
    topBy([...rows.values()], TOP_ROWS, byRequests, byUnits)
      .sort((a, b) => b.requests - a.requests || b.computeUnits - a.computeUnits)
      .slice(0, TOP_ROWS);
  return {
    rateLimitedPerSec,
    projects: top(projects).map((row) => ({
      name: row.name,
      requestsPerSec: rate(row.requests),
      computeUnitsPerSec: rate(row.computeUnits),
      creditsLeft: credits.get(row.name) ?? null,
    })),
    keys: top(keys).map((row) => ({
      name: row.name,
      project: row.project,
      requestsPerSec: rate(row.requests),
      computeUnitsPerSec: rate(row.computeUnits),
      rateLimitedPerSec: rate(row.rateLimited),
    })),
    lowestCredits: [...credits]
      .sort((a, b) => a[1] - b[1])
      .slice(0, TOP_ROWS)
      .map(([name, creditsLeft]) => ({ name, creditsLeft })),
  };
}
