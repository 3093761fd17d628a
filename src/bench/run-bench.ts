/**
 * One bench run from a validated scenario: scrape the gateway's metrics before, run the
 * generator threads while printing a line a second and scraping, scrape after, merge every
 * thread's histograms, then figures, self-check, verdict, knee and thresholds in one report.
 */
import type { LiveStats } from './generator.js';
import { decodeHistogram, newHistogram, percentileMs, summarizeHistogram } from './histogram.js';
import { findKnee } from './knee.js';
import { MetricsScraper, summarizeSamples } from './metrics-scraper.js';
import { RequestOutcomes } from './outcomes.js';
import { Recorder } from './recorder.js';
import { type BenchReport, REPORT_SCHEMA } from './report-schema.js';
import { compileMix } from './request-mix.js';
import { RunFigures } from './run-figures.js';
import { runGenerators } from './run-workers.js';
import type { Scenario } from './scenario-schema.js';
import { rateAt } from './schedule.js';
import { selfCheck } from './self-check.js';
import { formatLive, type LiveLine } from './terminal.js';
import { evaluateThreshold, parseThreshold } from './thresholds.js';
import { monotonicMs } from './ticker.js';
import { decideVerdict, littlesLaw } from './verdict.js';

export interface BenchRunOptions {
  scenario: Scenario;
  format?: 'turnpike' | 'artillery';
  /** One generator on the calling thread instead of worker_threads. @default false */
  inProcess?: boolean;
  /** Receives the live line every second; nothing printed when absent. */
  onLiveLine?: (line: string) => void;
  /** The same figures, structured (for scripts). */
  onLive?: (live: LiveLine) => void;
  /**
   * Receives every request's outcome by sequence number once the run is over (before the
   * report): which requests succeeded, to reconcile with what the target stored. Costs 6 bytes
   * a request; nothing is kept when absent.
   */
  onOutcomes?: (outcomes: RequestOutcomes) => void;
}

export function metricsUrlOf(scenario: Scenario): string | undefined {
  if (scenario.metrics === false) return undefined;
  return new URL(scenario.metrics.url, new URL(scenario.target).origin).href;
}

export async function runBench(options: BenchRunOptions): Promise<BenchReport> {
  const { scenario } = options;
  const workers = options.inProcess ? 1 : scenario.workers;
  const mix = compileMix(scenario);
  const metricsUrl = metricsUrlOf(scenario);
  const headers: Record<string, string> = { ...scenario.headers };
  if (scenario.apiKey !== undefined) headers['x-api-key'] = scenario.apiKey;
  const scraper = metricsUrl === undefined ? undefined : new MetricsScraper(metricsUrl, headers, monotonicMs);
  const startedAt = new Date().toISOString();
  await scraper?.scrape();

  let t0 = Number.NaN;
  let t0At = '';
  const figuresForLive = new RunFigures(scenario, new Recorder(scenario.phases.length, mix.kinds.length), []);
  const live = {
    sent: 0,
    ok: 0,
    errors: 0,
    corrected: newHistogram(),
    outstanding: new Map<number, number>(),
  };
  const onLive = (stats: LiveStats) => {
    live.sent += stats.sent;
    live.ok += stats.ok;
    live.errors += stats.errors;
    live.corrected.add(decodeHistogram(stats.corrected));
    live.outstanding.set(stats.worker, stats.outstanding);
  };
  let printer: NodeJS.Timeout | undefined;
  const print = () => {
    const t = Math.round((monotonicMs() - t0) / 1000);
    const phase = figuresForLive.phaseAt(Math.max(0, t - 0.5));
    if (phase === undefined && live.sent + live.ok + live.errors === 0) return;
    const line: LiveLine = {
      t,
      phase: phase === undefined ? 'drain' : scenario.phases[phase]!.name,
      targetRps: rateAt(figuresForLive.windows, Math.max(0, t - 0.5)),
      sentRps: live.sent,
      okRps: live.ok,
      errorRps: live.errors,
      outstanding: [...live.outstanding.values()].reduce((a, b) => a + b, 0),
      p50: percentileMs(live.corrected, 50),
      p99: percentileMs(live.corrected, 99),
    };
    options.onLive?.(line);
    options.onLiveLine?.(formatLive(line));
    live.sent = live.ok = live.errors = 0;
    live.corrected = newHistogram();
  };

  let results: Awaited<ReturnType<typeof runGenerators>>;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let cpuUsed: NodeJS.CpuUsage | undefined;
  try {
    results = await runGenerators({
      scenario,
      workers,
      inProcess: options.inProcess ?? false,
      outcomes: options.onOutcomes !== undefined,
      onLive,
      onStart(start) {
        t0 = start;
        cpuStart = process.cpuUsage();
        t0At = new Date(Date.now() + (start - monotonicMs())).toISOString();
        if (scraper && scenario.metrics !== false) scraper.start(scenario.metrics.interval * 1000);
        // A quarter second after each whole second, when every thread has reported it.
        if (options.onLiveLine || options.onLive)
          printer = setTimeout(
            () => {
              print();
              printer = setInterval(print, 1000);
            },
            start - monotonicMs() + 1250,
          );
      },
    });
    cpuUsed = process.cpuUsage(cpuStart);
  } finally {
    clearTimeout(printer);
    clearInterval(printer);
    scraper?.stop();
  }
  await scraper?.scrape();
  for (const sample of scraper?.samples ?? []) sample.at -= t0;

  const recorder = new Recorder(scenario.phases.length, mix.kinds.length);
  for (const result of results) recorder.merge(result.snapshot);
  if (options.onOutcomes !== undefined) {
    const logs = results.flatMap((r) => (r.outcomes === undefined ? [] : [r.outcomes]));
    options.onOutcomes(
      new RequestOutcomes(
        logs,
        mix.kinds.map((k) => k.name),
      ),
    );
  }
  const figures = new RunFigures(
    scenario,
    recorder,
    mix.kinds.map((k) => k.name),
  );
  const phases = figures.phases();
  const measured = figures.phaseReport(undefined);
  const seconds = figures.seconds(workers);
  const dispatchLag = figures.dispatchLag();
  const self = selfCheck(
    results.map((r) => r.self),
    dispatchLag,
  );
  const measuredNames = figures.measuredPhases.map((i) => figures.windows[i]!.name);
  const inflightBound = scenario.inflight.max ?? scenario.connections;
  const windowStart = measured.start * 1000;
  const windowEnd = (measured.start + measured.duration) * 1000;
  const samples = (scraper?.samples ?? []).filter((s) => s.at > windowStart && s.at <= windowEnd + 1000);
  // For counter differences: the last scrape before the window, then those inside it.
  const before = (scraper?.samples ?? []).filter((s) => s.at <= windowStart).at(-1);
  const samplesAround = before === undefined ? samples : [before, ...samples];
  const verdictInput = {
    self,
    phases,
    measured,
    measuredPhaseNames: measuredNames,
    seconds,
    samples,
    metricsUrl,
    stageTotal: figures.measuredStage('total'),
    stageUpstream: figures.measuredStage('upstream'),
    inflightBound,
  };
  const verdict = decideVerdict(verdictInput);
  const ramps = figures.windows.filter((w) => w.from !== w.to && measuredNames.includes(w.name));
  const phaseNames = scenario.phases.map((p) => p.name);
  const thresholds = scenario.thresholds.flatMap((rule) => {
    const parsed = parseThreshold(rule, phaseNames);
    return parsed.ok ? [evaluateThreshold(parsed.threshold, figures)] : [];
  });
  return {
    schema: REPORT_SCHEMA,
    startedAt,
    t0: t0At,
    target: scenario.target,
    format: options.format ?? 'turnpike',
    settings: {
      arrivals: scenario.arrivals,
      connections: scenario.connections,
      workers,
      inflightMax: inflightBound,
      policy: scenario.inflight.policy,
      timeoutSeconds: scenario.timeout,
    },
    kinds: figures.kinds(),
    phases,
    measured,
    seconds,
    serverTiming: figures.serverTiming(),
    server:
      scraper === undefined || metricsUrl === undefined
        ? undefined
        : { url: metricsUrl, samples: scraper.samples, measured: summarizeSamples(samplesAround) },
    generator: {
      valid: self.valid,
      invalidReasons: self.reasons,
      threads: results.map((r) => r.self),
      dispatchLag: summarizeHistogram(dispatchLag),
      cpu: cpuFigures(cpuUsed, phases),
    },
    littlesLaw: littlesLaw(verdictInput),
    knee: findKnee(seconds, ramps),
    verdict,
    thresholds,
    pass: self.valid && thresholds.every((t) => t.pass),
  };
}

/**
 * CPU of this process (every thread: coordinator, generators, ticker, V8's helpers), user and
 * system, from t0 until the last answer, per scheduled request. Start-up is left out.
 */
function cpuFigures(
  used: NodeJS.CpuUsage | undefined,
  phases: readonly { scheduled: number }[],
): { seconds: number; usPerRequest: number } | undefined {
  if (used === undefined) return undefined;
  const requests = phases.reduce((sum, p) => sum + p.scheduled, 0);
  const us = used.user + used.system;
  return { seconds: us / 1e6, usPerRequest: requests > 0 ? us / requests : Number.NaN };
}
