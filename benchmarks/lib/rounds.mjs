// Repeated, interleaved measurements: every target is measured once per round, so slow drift of
// a shared machine (other VMs, CPU boost) hits all targets alike. Tables show per-target medians;
// ratios and differences are taken within each round and then their median is reported.
import { median } from './stats.mjs';

const numbers = (values) => values.filter((v) => typeof v === 'number' && Number.isFinite(v));
const med = (values) => {
  const finite = numbers(values);
  return finite.length ? median(finite) : Number.NaN;
};
const sum = (values) => numbers(values).reduce((a, b) => a + b, 0);
const max = (values) => Math.max(...numbers(values));

/** The median round of closed-loop figures of one target. */
export function summarizeClosed(rounds) {
  const runs = rounds.map((r) => r.closed).filter(Boolean);
  if (runs.length === 0) return undefined;
  const upstream = runs.map((c) => c.upstreamPerRequest);
  return {
    rps: med(runs.map((c) => c.rps)),
    p50Ms: med(runs.map((c) => c.p50Ms)),
    p99Ms: med(runs.map((c) => c.p99Ms)),
    cpuUsPerRequest: med(runs.map((c) => c.cpuUsPerRequest)),
    upstreamPerRequest: upstream.every((u) => u === null) ? null : med(upstream),
    errors: sum(runs.map((c) => c.errors)),
    backgroundCores: max(runs.map((c) => c.backgroundCores)),
    rounds: runs.length,
  };
}

/** The median round of open-loop figures of one target; invalid if any round was. */
export function summarizeOpen(rounds) {
  const runs = rounds.map((r) => r.open).filter(Boolean);
  if (runs.length === 0) return undefined;
  return {
    completedRps: med(runs.map((o) => o.completedRps)),
    latencyMs: {
      p50: med(runs.map((o) => o.latencyMs.p50)),
      p99: med(runs.map((o) => o.latencyMs.p99)),
      p999: med(runs.map((o) => o.latencyMs.p999)),
    },
    serviceTimeMs: { p99: med(runs.map((o) => o.serviceTimeMs.p99)) },
    sendLagMs: { p99: med(runs.map((o) => o.sendLagMs.p99)) },
    errors: { total: sum(runs.map((o) => o.errors.total)) },
    valid: runs.every((o) => o.valid),
    invalid: runs.flatMap((o) => o.invalid ?? []),
    backgroundCores: max(runs.map((o) => o.backgroundCores)),
    rounds: runs.length,
  };
}

/** Per-round values of `pick(aRound, bRound)` where both targets have the round. */
export function perRound(a, b, pick) {
  const out = [];
  const count = Math.min(a?.rounds?.length ?? 0, b?.rounds?.length ?? 0);
  for (let i = 0; i < count; i++) {
    const value = pick(a.rounds[i], b.rounds[i]);
    if (typeof value === 'number' && Number.isFinite(value)) out.push(value);
  }
  return out;
}

export { med as medianOf };
