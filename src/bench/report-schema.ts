/**
 * The JSON report (`--json <file>`), versioned: fields are only added within a version; a
 * rename or a change of meaning bumps `schema`. Times are milliseconds unless named otherwise,
 * rates requests per second, latency is corrected (end − intended) unless named `service`
 * (end − sent), `firstByte` (first byte − sent) or `lag` (sent − intended).
 */
import type { GeneratorSelf } from './generator.js';
import type { LatencySummary } from './histogram.js';
import type { ServerSample, ServerSummary } from './metrics-scraper.js';
import type { ThresholdResult } from './thresholds.js';

export const REPORT_SCHEMA = 'turnpike-bench/1';

export interface PhaseReport {
  name: string;
  /** Seconds after t0. */
  start: number;
  duration: number;
  /** Mean offered rate of the phase ((from + to) / 2). */
  targetRps: number;
  from: number;
  to: number;
  /** Arrivals due in the phase. */
  scheduled: number;
  ok: number;
  /** Every failure, dropped ones included. */
  errors: number;
  dropped: number;
  errorRate: number;
  errorsByKind: Record<string, number>;
  /** Successful responses per second that ended inside the phase. */
  achievedRps: number;
  corrected: LatencySummary;
  service: LatencySummary;
  lag: LatencySummary;
}

export interface KindReport {
  name: string;
  ok: number;
  errors: number;
  errorsByKind: Record<string, number>;
  corrected: LatencySummary;
  service: LatencySummary;
  firstByte: LatencySummary;
}

export interface SecondReport {
  /** Seconds after t0. */
  t: number;
  phase: string | undefined;
  offeredRps: number;
  sentRps: number;
  achievedRps: number;
  errorRps: number;
  corrected: { p50: number; p90: number; p99: number; max: number };
  service: { p50: number; p99: number };
  lagP99: number;
  dispatchLagP99: number;
  /** Client requests outstanding (in flight plus waiting at the bound), mean and max. */
  inflightMean: number;
  inflightMax: number;
}

export interface RuleOutcome {
  rule: string;
  matched: boolean;
  evidence: string[];
}

export interface Verdict {
  /** generator-bound | errors | gateway-event-loop | upstream | network | saturated-unexplained | no-saturation */
  bottleneck: string;
  summary: string;
  rules: RuleOutcome[];
}

export interface Knee {
  phase: string;
  /** Seconds after t0. */
  t: number;
  offeredRps: number;
  achievedRps: number;
  reason: string;
}

export interface LittlesLaw {
  /** λ × W with the client's service time: requests in flight between client and server. */
  clientInflight: number;
  /** λ × W with the gateway's own request duration (Server-Timing `total`). */
  serverInflight: number | undefined;
  /** The gateway's in-flight gauge, mean of the scrapes during the measured phases. */
  serverInflightGauge: number | undefined;
  note: string;
}

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  startedAt: string;
  /** When the schedule started (t₀): phase starts and `seconds[].t` count from here. */
  t0: string;
  target: string;
  format: 'turnpike' | 'artillery';
  settings: {
    arrivals: 'uniform' | 'poisson';
    connections: number;
    workers: number;
    inflightMax: number;
    policy: 'queue' | 'drop';
    timeoutSeconds: number;
  };
  kinds: KindReport[];
  phases: PhaseReport[];
  /** The measured phases together (all but warmup and cooldown). */
  measured: PhaseReport;
  seconds: SecondReport[];
  /** Server-Timing stages per phase name. */
  serverTiming: Record<string, Record<string, LatencySummary>>;
  /**
   * Scrapes of the gateway's /metrics, and their summary over the measured phases. Added within
   * turnpike-bench/1, so optional: per-worker event-loop delay (`samples[].loopDelay`,
   * `measured.loopDelayByWorker`), absent in older reports and from gateways without it.
   */
  server: { url: string; samples: ServerSample[]; measured: ServerSummary } | undefined;
  generator: {
    valid: boolean;
    invalidReasons: string[];
    threads: GeneratorSelf[];
    dispatchLag: LatencySummary;
    /**
     * CPU of the bench process (all threads, user + system) from t0 to the last answer, and per
     * scheduled request; start-up excluded. Added within turnpike-bench/1, so optional.
     */
    cpu?: { seconds: number; usPerRequest: number } | undefined;
  };
  littlesLaw: LittlesLaw;
  knee: Knee | undefined;
  verdict: Verdict;
  thresholds: ThresholdResult[];
  /** Valid and every threshold passed. */
  pass: boolean;
}
