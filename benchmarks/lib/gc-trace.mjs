// The live heap, read where it is exact: right after each full (mark-compact) GC, from V8's
// `--trace-gc` lines. Sampling `heap used` at fixed times compares random points of the GC
// sawtooth, which moves by a fifth within seconds; a leak shows as a rising floor after full GCs.
import { median } from './stats.mjs';

// [2893:0x6a3e4d0]   1041 ms: Mark-Compact 4.9 (6.0) -> 3.7 (6.3) MB, 1.92 / 0.00 ms  (…)
const MARK_COMPACT =
  /^\[(\d+):0x[0-9a-f]+\]\s+\d+ ms: Mark-Compact(?: \([^)]*\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/;

/** `{ pid, liveMiB }` for a mark-compact trace line, else null. */
export function parseMarkCompact(line) {
  const match = MARK_COMPACT.exec(line);
  return match ? { pid: Number(match[1]), liveMiB: Number(match[2]) } : null;
}

/**
 * Per process: the median live heap after the full GCs of minutes 1–3 against that after the
 * full GCs of the run's second half (V8 spaces them out as its old-space limit grows, so a
 * fixed last-minutes window can be empty); the worst process decides.
 * `gcs` are `{ pid, liveMiB, tSeconds }`.
 */
export function liveHeapCheck(gcs, { pids, runSeconds, tolerance = 0.1 }) {
  const perProcess = [];
  for (const pid of pids) {
    const own = gcs.filter((gc) => gc.pid === pid);
    const early = own.filter((gc) => gc.tSeconds >= 60 && gc.tSeconds < 180);
    const late = own.filter((gc) => gc.tSeconds >= Math.max(runSeconds / 2, 180));
    if (early.length === 0 || late.length === 0) continue;
    const baseline = median(early.map((gc) => gc.liveMiB));
    const end = median(late.map((gc) => gc.liveMiB));
    perProcess.push({ pid, baseline, end, growth: (end - baseline) / baseline, fullGcs: own.length });
  }
  if (perProcess.length === 0) {
    return { field: 'live heap after full GCs', status: 'SKIP', reason: 'too few full GCs', perProcess };
  }
  const worst = perProcess.reduce((a, b) => (b.growth > a.growth ? b : a));
  return {
    field: 'live heap after full GCs',
    baseline: worst.baseline,
    end: worst.end,
    growth: worst.growth,
    status: worst.growth <= tolerance ? 'PASS' : 'FAIL',
    perProcess,
  };
}
