/**
 * Turns the merged recorder into the report's figures: per phase, the measured phases together,
 * per request kind, per second, and the Server-Timing stages. Percentiles always come from
 * merged histograms. Also the ThresholdSource the threshold rules read.
 */
import { type Histogram, newHistogram, percentileMs, summarizeHistogram } from './histogram.js';
import type { Recorder } from './recorder.js';
import type { KindReport, PhaseReport, SecondReport } from './report-schema.js';
import type { Scenario } from './scenario-schema.js';
import { type PhaseWindow, phaseWindows } from './schedule.js';
import type { LatencyStat, ThresholdSource } from './thresholds.js';

const UNMEASURED = new Set(['warmup', 'cooldown']);

interface Scope {
  phases: number[];
  corrected: Histogram;
  service: Histogram;
  lag: Histogram;
  ok: number;
  errorsByKind: Record<string, number>;
  start: number;
  end: number;
}

export class RunFigures implements ThresholdSource {
  readonly windows: PhaseWindow[];
  readonly measuredPhases: number[];
  private readonly scopes = new Map<string, Scope>();

  constructor(
    readonly scenario: Scenario,
    readonly recorder: Recorder,
    readonly kindNames: readonly string[],
  ) {
    this.windows = phaseWindows(
      scenario.phases.map((p) => ({
        name: p.name,
        duration: p.duration,
        from: p.rate ?? p.from ?? 0,
        to: p.rate ?? p.to ?? 0,
      })),
    );
    const measured = this.windows.flatMap((w, i) => (UNMEASURED.has(w.name) ? [] : [i]));
    this.measuredPhases = measured.length > 0 ? measured : this.windows.map((_, i) => i);
  }

  phaseIndex(name: string | undefined): number[] {
    if (name === undefined) return this.measuredPhases;
    const index = this.windows.findIndex((w) => w.name === name);
    return index < 0 ? [] : [index];
  }

  /** Phase of the second starting at `t` seconds. */
  phaseAt(t: number): number | undefined {
    const index = this.windows.findIndex((w) => t >= w.start && t < w.end);
    return index < 0 ? undefined : index;
  }

  private scope(name: string | undefined): Scope {
    const key = name ?? '\0measured';
    const cached = this.scopes.get(key);
    if (cached) return cached;
    const phases = this.phaseIndex(name);
    const scope: Scope = {
      phases,
      corrected: newHistogram(),
      service: newHistogram(),
      lag: newHistogram(),
      ok: 0,
      errorsByKind: {},
      start: Math.min(...phases.map((p) => this.windows[p]!.start)),
      end: Math.max(...phases.map((p) => this.windows[p]!.end)),
    };
    for (const bucket of this.recorder.buckets.values()) {
      if (!phases.includes(bucket.phase)) continue;
      scope.corrected.add(bucket.corrected);
      scope.service.add(bucket.service);
      scope.ok += bucket.ok;
      for (const [kind, n] of Object.entries(bucket.errors))
        scope.errorsByKind[kind] = (scope.errorsByKind[kind] ?? 0) + n;
    }
    for (const stats of this.recorder.seconds.values()) {
      const phase = this.phaseAt(stats.second);
      if (phase !== undefined && phases.includes(phase)) scope.lag.add(stats.lag);
    }
    this.scopes.set(key, scope);
    return scope;
  }

  // ThresholdSource
  latency(phase: string | undefined, latency: 'corrected' | 'service', stat: LatencyStat): number {
    const histogram = this.scope(phase)[latency];
    if (histogram.totalCount === 0) return Number.NaN;
    if (stat === 'max') return histogram.maxValue / 1000;
    if (stat === 'mean') return histogram.mean / 1000;
    return percentileMs(histogram, stat.percentile);
  }

  counts(phase: string | undefined): { scheduled: number; errors: number; dropped: number } {
    const scope = this.scope(phase);
    const errors = Object.values(scope.errorsByKind).reduce((a, b) => a + b, 0);
    return { scheduled: scope.ok + errors, errors, dropped: scope.errorsByKind.dropped ?? 0 };
  }

  rates(phase: string | undefined): { achieved: number; target: number } {
    const scope = this.scope(phase);
    const phases = scope.phases.map((p) => this.windows[p]!);
    const duration = phases.reduce((sum, w) => sum + w.duration, 0);
    const target =
      duration > 0 ? phases.reduce((sum, w) => sum + w.countEnd - w.countStart, 0) / duration : 0;
    // Successful answers to the scope's own requests that ended inside the scope, per second:
    // a backlog from an earlier phase does not inflate it, answers after the end do not count.
    let ended = 0;
    for (const stats of this.recorder.seconds.values()) {
      if (stats.second < Math.floor(scope.start) || stats.second >= scope.end) continue;
      for (const phase of scope.phases) ended += stats.okEndedByPhase[phase] ?? 0;
    }
    const achieved = duration > 0 ? ended / duration : 0;
    return { achieved, target };
  }

  phaseReport(name: string | undefined): PhaseReport {
    const scope = this.scope(name);
    const counts = this.counts(name);
    const rates = this.rates(name);
    const window = name === undefined ? undefined : this.windows[scope.phases[0] ?? -1];
    return {
      name: name ?? 'measured',
      start: scope.start,
      duration: scope.end - scope.start,
      targetRps: rates.target,
      from: window?.from ?? rates.target,
      to: window?.to ?? rates.target,
      scheduled: counts.scheduled,
      ok: scope.ok,
      errors: counts.errors,
      dropped: counts.dropped,
      errorRate: counts.scheduled > 0 ? counts.errors / counts.scheduled : 0,
      errorsByKind: scope.errorsByKind,
      achievedRps: rates.achieved,
      corrected: summarizeHistogram(scope.corrected),
      service: summarizeHistogram(scope.service),
      lag: summarizeHistogram(scope.lag),
    };
  }

  phases(): PhaseReport[] {
    return this.windows.map((w) => this.phaseReport(w.name));
  }

  kinds(): KindReport[] {
    return this.kindNames.map((name, kind) => {
      const corrected = newHistogram();
      const service = newHistogram();
      const firstByte = newHistogram();
      let ok = 0;
      const errorsByKind: Record<string, number> = {};
      for (const bucket of this.recorder.buckets.values()) {
        if (bucket.kind !== kind || !this.measuredPhases.includes(bucket.phase)) continue;
        corrected.add(bucket.corrected);
        service.add(bucket.service);
        ok += bucket.ok;
        for (const [k, n] of Object.entries(bucket.errors)) errorsByKind[k] = (errorsByKind[k] ?? 0) + n;
      }
      for (const phase of this.measuredPhases) {
        const h = this.recorder.firstByte.get(`${phase}:${kind}`);
        if (h) firstByte.add(h);
      }
      const errors = Object.values(errorsByKind).reduce((a, b) => a + b, 0);
      return {
        name,
        ok,
        errors,
        errorsByKind,
        corrected: summarizeHistogram(corrected),
        service: summarizeHistogram(service),
        firstByte: summarizeHistogram(firstByte),
      };
    });
  }

  seconds(workers: number): SecondReport[] {
    const bySecond = new Map<number, { corrected: Histogram; service: Histogram }>();
    for (const bucket of this.recorder.buckets.values()) {
      let entry = bySecond.get(bucket.second);
      if (!entry) {
        entry = { corrected: newHistogram(), service: newHistogram() };
        bySecond.set(bucket.second, entry);
      }
      entry.corrected.add(bucket.corrected);
      entry.service.add(bucket.service);
    }
    const last = Math.max(...this.recorder.seconds.keys(), ...bySecond.keys(), 0);
    const out: SecondReport[] = [];
    for (let t = 0; t <= last; t++) {
      const stats = this.recorder.seconds.get(t);
      const latency = bySecond.get(t);
      const phase = this.phaseAt(t);
      out.push({
        t,
        phase: phase === undefined ? undefined : this.windows[phase]!.name,
        offeredRps: stats?.scheduled ?? 0,
        sentRps: stats?.sent ?? 0,
        achievedRps: stats?.okEnded ?? 0,
        errorRps: stats?.errorEnded ?? 0,
        corrected: {
          p50: latency ? percentileMs(latency.corrected, 50) : Number.NaN,
          p90: latency ? percentileMs(latency.corrected, 90) : Number.NaN,
          p99: latency ? percentileMs(latency.corrected, 99) : Number.NaN,
          max: latency && latency.corrected.totalCount > 0 ? latency.corrected.maxValue / 1000 : Number.NaN,
        },
        service: {
          p50: latency ? percentileMs(latency.service, 50) : Number.NaN,
          p99: latency ? percentileMs(latency.service, 99) : Number.NaN,
        },
        lagP99: stats ? percentileMs(stats.lag, 99) : Number.NaN,
        dispatchLagP99: stats ? percentileMs(stats.dispatchLag, 99) : Number.NaN,
        // Each worker samples its own count; the client total is their sum.
        inflightMean:
          stats && stats.inflightSamples > 0 ? (stats.inflightSum / stats.inflightSamples) * workers : 0,
        inflightMax: stats?.inflightMax ?? 0,
      });
    }
    return out;
  }

  /** Dispatch lag (generator lateness) over the measured phases. */
  dispatchLag(): Histogram {
    const histogram = newHistogram();
    for (const stats of this.recorder.seconds.values()) {
      const phase = this.phaseAt(stats.second);
      if (phase !== undefined && this.measuredPhases.includes(phase)) histogram.add(stats.dispatchLag);
    }
    return histogram;
  }

  /** Server-Timing stages by phase name, then stage. */
  serverTiming(): Record<string, Record<string, ReturnType<typeof summarizeHistogram>>> {
    const out: Record<string, Record<string, ReturnType<typeof summarizeHistogram>>> = {};
    for (const [key, histogram] of this.recorder.stages) {
      const at = key.indexOf(':');
      const phase = this.windows[Number(key.slice(0, at))]?.name ?? '?';
      out[phase] ??= {};
      out[phase][key.slice(at + 1)] = summarizeHistogram(histogram);
    }
    return out;
  }

  /** Server-Timing stage histogram over the measured phases. */
  measuredStage(stage: string): Histogram | undefined {
    let merged: Histogram | undefined;
    for (const phase of this.measuredPhases) {
      const h = this.recorder.stages.get(`${phase}:${stage}`);
      if (h) {
        merged ??= newHistogram();
        merged.add(h);
      }
    }
    return merged;
  }
}
