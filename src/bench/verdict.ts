/**
 * Names the bottleneck with its evidence. Rules run in order and the first that matches wins;
 * every rule's evidence is printed either way:
 *   1 generator-bound   the self-check failed: the run is invalid
 *   2 errors            more than 1 % of requests failed (dropped ones aside)
 *   3 gateway-event-loop in ≥ 30 % of the scrapes a gateway worker's event loop was ≥ 90 % busy
 *                       or its delay p99 was > 50 ms
 *   4 upstream          the upstream stage is ≥ 50 % of the gateway's time and the target
 *                       saturated, or an upstream queue grew
 *   5 network           the client's service time is > 2 × the gateway's own time and > 1 ms more
 *   6 saturated-unexplained / no-saturation
 * Saturated: a measured phase achieved < 97 % of its target, requests were dropped, or requests
 * waited at the in-flight bound (schedule lag p99 > 10 ms while the generator kept up).
 */
import type { Histogram } from './histogram.js';
import { type ServerSample, summarizeSamples } from './metrics-scraper.js';
import type { LittlesLaw, PhaseReport, RuleOutcome, SecondReport, Verdict } from './report-schema.js';
import type { SelfCheck } from './self-check.js';

export interface VerdictInput {
  self: SelfCheck;
  phases: readonly PhaseReport[];
  measured: PhaseReport;
  measuredPhaseNames: readonly string[];
  seconds: readonly SecondReport[];
  /** Scrapes taken while measured phases ran. */
  samples: readonly ServerSample[];
  metricsUrl: string | undefined;
  stageTotal: Histogram | undefined;
  stageUpstream: Histogram | undefined;
  inflightBound: number;
}

/** What makes a scrape window count as a saturated gateway event loop. */
export const GATEWAY_LOOP_LIMITS = {
  /** Event-loop utilization of a worker in the window. */
  busyElu: 0.9,
  /**
   * Event-loop delay p99 of a worker in the window, ms. With a 20-ms timer a 1-s window holds
   * ≈ 50 ticks, so its p99 is close to its maximum: the bound sits above common GC pauses.
   */
  delayP99Ms: 50,
  /** Share of the scrapes that must show either. */
  share: 0.3,
} as const;

const ms = (value: number) => (Number.isNaN(value) ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const pct = (ratio: number) => `${(ratio * 100).toFixed(ratio < 0.01 ? 2 : 1)} %`;

export function littlesLaw(input: VerdictInput): LittlesLaw {
  const rate = input.measured.achievedRps;
  const clientInflight = (rate * input.measured.service.mean) / 1000;
  const serverMean =
    input.stageTotal && input.stageTotal.totalCount > 0 ? input.stageTotal.mean / 1000 : undefined;
  const gauges = input.samples.flatMap((s) => (s.inflight === undefined ? [] : [s.inflight]));
  const gauge = gauges.length > 0 ? gauges.reduce((a, b) => a + b, 0) / gauges.length : undefined;
  const serverInflight = serverMean === undefined ? undefined : (rate * serverMean) / 1000;
  const note =
    serverInflight === undefined
      ? 'no Server-Timing total: server-side in-flight unknown'
      : `λ = ${rate.toFixed(0)} rps: client in flight λ·W(service) = ${clientInflight.toFixed(1)}, gateway λ·W(total) = ${serverInflight.toFixed(1)}${gauge === undefined ? '' : ` (its gauge: ${gauge.toFixed(1)})`}; the difference is time in sockets, kernel queues and the client`;
  return { clientInflight, serverInflight, serverInflightGauge: gauge, note };
}

export function decideVerdict(input: VerdictInput): Verdict {
  const { self, measured } = input;
  const rules: RuleOutcome[] = [];
  const saturation = saturationEvidence(input);
  const saturated = saturation.length > 0;

  rules.push({
    rule: 'generator-bound',
    matched: !self.valid,
    evidence: [...self.reasons, ...self.evidence],
  });

  const failures = measured.errors - measured.dropped;
  const failureRate = measured.scheduled > 0 ? failures / measured.scheduled : 0;
  const top = Object.entries(measured.errorsByKind)
    .filter(([kind]) => kind !== 'dropped')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([kind, n]) => `${kind} ${n}`);
  const errorEvidence = [
    `${failures} of ${measured.scheduled} requests failed (${pct(failureRate)})${top.length ? `: ${top.join(', ')}` : ''}`,
  ];
  const refused = summarizeSamples(input.samples).rateLimited;
  if (refused !== undefined && refused > 0)
    errorEvidence.push(`the gateway refused ${refused} requests over a rate limit, quota or credits`);
  rules.push({ rule: 'errors', matched: failureRate > 0.01, evidence: errorEvidence });

  rules.push(eventLoopRule(input));
  rules.push(upstreamRule(input, saturated));

  const client = measured.service.mean;
  const server =
    input.stageTotal && input.stageTotal.totalCount > 0 ? input.stageTotal.mean / 1000 : undefined;
  rules.push({
    rule: 'network',
    matched: server !== undefined && client > 2 * server && client - server > 1,
    evidence:
      server === undefined
        ? ['no Server-Timing `total` in the responses: cannot compare client and gateway time']
        : [
            `client service mean ${ms(client)} ms vs gateway total mean ${ms(server)} ms (${ms(client - server)} ms outside the gateway)`,
            littlesLaw(input).note,
          ],
  });

  rules.push({
    rule: saturated ? 'saturated-unexplained' : 'no-saturation',
    matched: true,
    evidence: saturated ? saturation : noSaturation(input),
  });

  const winner = rules.find((r) => r.matched)!;
  return { bottleneck: winner.rule, summary: summaryOf(winner), rules };
}

function saturationEvidence(input: VerdictInput): string[] {
  const out: string[] = [];
  for (const phase of input.phases) {
    if (!input.measuredPhaseNames.includes(phase.name)) continue;
    if (phase.achievedRps < 0.97 * phase.targetRps)
      out.push(
        `${phase.name}: achieved ${phase.achievedRps.toFixed(0)} rps < 97 % of target ${phase.targetRps.toFixed(0)} rps`,
      );
  }
  if (input.measured.dropped > 0)
    out.push(`${input.measured.dropped} requests dropped at the in-flight bound (${input.inflightBound})`);
  if (input.self.valid && input.measured.lag.p99 > 10)
    out.push(
      `schedule lag p99 ${ms(input.measured.lag.p99)} ms: requests waited for one of ${input.inflightBound} in-flight slots`,
    );
  return out;
}

function noSaturation(input: VerdictInput): string[] {
  const m = input.measured;
  return [
    `achieved ${m.achievedRps.toFixed(0)} of ${m.targetRps.toFixed(0)} rps target; schedule lag p99 ${ms(m.lag.p99)} ms; corrected p99 ${ms(m.corrected.p99)} ms, service p99 ${ms(m.service.p99)} ms`,
    'raise the rate (a ramp finds the knee) to find the bottleneck',
  ];
}

function eventLoopRule(input: VerdictInput): RuleOutcome {
  const { busyElu, delayP99Ms, share } = GATEWAY_LOOP_LIMITS;
  const scrapes = input.samples.filter(
    (s) => Object.keys(s.elu).length > 0 || Object.keys(s.loopDelay ?? {}).length > 0,
  );
  if (scrapes.length === 0)
    return {
      rule: 'gateway-event-loop',
      matched: false,
      evidence: [
        input.metricsUrl === undefined
          ? 'metrics scraping is off'
          : `no event-loop utilization or delay from ${input.metricsUrl}`,
      ],
    };
  const saturated = (s: ServerSample) =>
    Object.values(s.elu).some((v) => v >= busyElu) ||
    Object.values(s.loopDelay ?? {}).some((d) => d.p99 > delayP99Ms);
  const busy = scrapes.filter(saturated).length;
  const workers = new Map<string, { elu: number[]; p99: number[]; max: number[] }>();
  const of = (w: string) => {
    const entry = workers.get(w) ?? { elu: [], p99: [], max: [] };
    workers.set(w, entry);
    return entry;
  };
  for (const s of scrapes) {
    for (const [w, v] of Object.entries(s.elu)) of(w).elu.push(v);
    for (const [w, d] of Object.entries(s.loopDelay ?? {})) {
      of(w).p99.push(d.p99);
      of(w).max.push(d.max);
    }
  }
  const evidence = [...workers]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([w, { elu, p99, max }]) => {
      const parts: string[] = [];
      if (elu.length > 0) {
        const mean = elu.reduce((a, b) => a + b, 0) / elu.length;
        parts.push(`event loop mean ${pct(mean)}, max ${pct(Math.max(...elu))} busy`);
      }
      if (p99.length > 0) {
        const over = p99.filter((v) => v > delayP99Ms).length;
        parts.push(
          `delay p99 up to ${ms(Math.max(...p99))} ms (> ${delayP99Ms} ms in ${over}), max ${ms(Math.max(...max))} ms`,
        );
      }
      return `gateway worker ${w}: ${parts.join('; ')} over ${Math.max(elu.length, p99.length)} scrapes`;
    });
  if (!scrapes.some((s) => s.loopDelay !== undefined)) {
    const delays = input.samples.flatMap((s) => (s.loopDelayP99Ms === undefined ? [] : [s.loopDelayP99Ms]));
    if (delays.length > 0)
      evidence.push(
        `gateway event-loop delay p99 up to ${ms(Math.max(...delays))} ms (prom-client, not per worker: this gateway exports no per-worker delay)`,
      );
  }
  evidence.push(
    `${busy} of ${scrapes.length} scrapes had a worker ≥ ${pct(busyElu)} busy or delayed > ${delayP99Ms} ms at p99 (rule: ≥ ${pct(share)})`,
  );
  return {
    rule: 'gateway-event-loop',
    matched: scrapes.length >= 2 && busy / scrapes.length >= share,
    evidence,
  };
}

function upstreamRule(input: VerdictInput, saturated: boolean): RuleOutcome {
  const evidence: string[] = [];
  let share: number | undefined;
  if (input.stageTotal && input.stageUpstream && input.stageTotal.totalCount > 0) {
    share = input.stageUpstream.mean / input.stageTotal.mean;
    evidence.push(
      `upstream stage ${pct(share)} of the gateway's time (mean ${ms(input.stageUpstream.mean / 1000)} of ${ms(input.stageTotal.mean / 1000)} ms; p99 ${ms(input.stageUpstream.getValueAtPercentile(99) / 1000)} of ${ms(input.stageTotal.getValueAtPercentile(99) / 1000)} ms)`,
    );
  } else evidence.push('no Server-Timing upstream/total stages in the responses');
  const series = (pick: (s: ServerSample) => number | undefined) =>
    input.samples.flatMap((s) => (pick(s) === undefined ? [] : [pick(s)!]));
  const inflight = series((s) => s.upstreamInflight);
  if (inflight.length > 0)
    evidence.push(
      `upstream in flight: first ${inflight[0]}, max ${Math.max(...inflight)}, last ${inflight[inflight.length - 1]}`,
    );
  const queue = series((s) => s.upstreamQueue);
  let queueGrows = false;
  if (queue.length >= 2) {
    const first = queue[0]!;
    const last = queue[queue.length - 1]!;
    queueGrows = last > first && last >= 10;
    evidence.push(`upstream queue: first ${first}, max ${Math.max(...queue)}, last ${last}`);
  } else evidence.push('the gateway exports no upstream queue gauge');
  return {
    rule: 'upstream',
    matched: (share !== undefined && share >= 0.5 && saturated) || queueGrows,
    evidence,
  };
}

function summaryOf(rule: RuleOutcome): string {
  switch (rule.rule) {
    case 'generator-bound':
      return 'INVALID: the load generator was the bottleneck; these figures describe it, not the target';
    case 'errors':
      return 'errors dominate: the target failed requests rather than slowing down';
    case 'gateway-event-loop':
      return "the gateway's event loop is saturated (CPU-bound): add workers or cores";
    case 'upstream':
      return 'upstream-bound: time goes to the upstream nodes or waiting for them';
    case 'network':
      return 'network/kernel: the client sees far more time than the gateway spends';
    case 'saturated-unexplained':
      return 'the target saturated, and the signals available do not say where';
    default:
      return 'no saturation reached: the target kept up with the offered load';
  }
}
