/**
 * Pass/fail rules that set the exit code, so CI can gate on a run:
 *   [phase.][service.]p99 < 50ms      corrected (or service) latency percentile, max or mean
 *   [phase.]errors < 0.1%             error rate (with %) or count (without); dropped counts too
 *   [phase.]dropped == 0              requests dropped at the in-flight bound
 *   [phase.]achieved >= 0.97 * target achieved rate against the scheduled rate (or a plain RPS)
 * Without a phase a rule covers every phase but `warmup` and `cooldown`.
 */

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type LatencyStat = { percentile: number } | 'max' | 'mean';

export type ThresholdMetric =
  | { kind: 'latency'; latency: 'corrected' | 'service'; stat: LatencyStat }
  | { kind: 'errors'; rate: boolean }
  | { kind: 'dropped'; rate: boolean }
  | { kind: 'achieved'; ofTarget: boolean };

export interface Threshold {
  rule: string;
  /** A phase name, or undefined for the measured phases. */
  phase: string | undefined;
  metric: ThresholdMetric;
  op: Comparison;
  /** Milliseconds for latency, a ratio for rates, a count, RPS, or the factor of the target. */
  value: number;
}

/** What a threshold reads from a finished run. */
export interface ThresholdSource {
  /** Milliseconds; NaN when nothing was measured. */
  latency(phase: string | undefined, latency: 'corrected' | 'service', stat: LatencyStat): number;
  counts(phase: string | undefined): { scheduled: number; errors: number; dropped: number };
  rates(phase: string | undefined): { achieved: number; target: number };
}

export interface ThresholdResult {
  rule: string;
  pass: boolean;
  /** The measured value, in the rule's unit. */
  actual: number;
  /** What it was compared with, in the same unit. */
  limit: number;
  unit: string;
}

/**
 * Matched against the trimmed rule, and the value starts at a non-space: `\s*(.+?)\s*$` had
 * three ways to share a run of blanks (cubic backtracking).
 */
const RULE =
  /^(?:([A-Za-z0-9_-]+)\.)??(?:(service)\.)?(p\d+(?:\.\d+)?|max|mean|errors|dropped|achieved)\s*(<=|>=|==|!=|<|>)\s*(\S.*)$/;
const LATENCY_UNIT = { us: 0.001, µs: 0.001, ms: 1, s: 1000 } as const;

export function parseThreshold(
  rule: string,
  phases: readonly string[],
): { ok: true; threshold: Threshold } | { ok: false; message: string } {
  const match = RULE.exec(rule.trim());
  if (!match)
    return {
      ok: false,
      message: `cannot read "${rule}"; expected e.g. "sustain.p99 < 50ms", "errors < 0.1%", "achieved >= 0.97 * target", "dropped == 0"`,
    };
  const [, phase, service, name = '', op = '<', rawValue = ''] = match;
  if (phase !== undefined && !phases.includes(phase))
    return { ok: false, message: `"${rule}": no phase named "${phase}" (phases: ${phases.join(', ')})` };
  const fail = (message: string) => ({ ok: false as const, message: `"${rule}": ${message}` });
  const build = (metric: ThresholdMetric, value: number) => ({
    ok: true as const,
    threshold: { rule: rule.trim(), phase, metric, op: op as Comparison, value },
  });

  if (name.startsWith('p') || name === 'max' || name === 'mean') {
    const stat: LatencyStat =
      name === 'max' || name === 'mean' ? name : { percentile: Number(name.slice(1)) };
    if (typeof stat === 'object' && !(stat.percentile > 0 && stat.percentile <= 100))
      return fail('a percentile is from p0 to p100');
    const value = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s)?$/.exec(rawValue);
    if (!value) return fail('expected a duration like 50ms, 0.5s or 800us');
    const unit = (value[2] ?? 'ms') as keyof typeof LATENCY_UNIT;
    return build(
      { kind: 'latency', latency: service ? 'service' : 'corrected', stat },
      Number(value[1]) * LATENCY_UNIT[unit],
    );
  }
  if (service) return fail('"service." applies to latency only');
  if (name === 'errors' || name === 'dropped') {
    const value = /^(\d+(?:\.\d+)?)\s*(%)?$/.exec(rawValue);
    if (!value) return fail('expected a count (0) or a percentage (0.1%)');
    const rate = value[2] === '%';
    return build({ kind: name, rate }, rate ? Number(value[1]) / 100 : Number(value[1]));
  }
  const ofTarget = /^(\d+(?:\.\d+)?)\s*\*\s*target$/.exec(rawValue);
  if (ofTarget) return build({ kind: 'achieved', ofTarget: true }, Number(ofTarget[1]));
  if (/^\d+(?:\.\d+)?$/.test(rawValue)) return build({ kind: 'achieved', ofTarget: false }, Number(rawValue));
  return fail('expected "0.97 * target" or a rate in requests per second');
}

function compare(actual: number, op: Comparison, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

export function evaluateThreshold(threshold: Threshold, source: ThresholdSource): ThresholdResult {
  const { metric, phase, op, value } = threshold;
  let actual: number;
  let limit = value;
  let unit: string;
  switch (metric.kind) {
    case 'latency':
      actual = source.latency(phase, metric.latency, metric.stat);
      unit = 'ms';
      break;
    case 'errors':
    case 'dropped': {
      const counts = source.counts(phase);
      const count = metric.kind === 'errors' ? counts.errors : counts.dropped;
      actual = metric.rate ? (counts.scheduled > 0 ? count / counts.scheduled : 0) : count;
      unit = metric.rate ? 'ratio' : 'requests';
      break;
    }
    case 'achieved': {
      const rates = source.rates(phase);
      actual = rates.achieved;
      if (metric.ofTarget) limit = value * rates.target;
      unit = 'rps';
      break;
    }
  }
  // NaN (nothing measured) never passes.
  return {
    rule: threshold.rule,
    pass: !Number.isNaN(actual) && compare(actual, op, limit),
    actual,
    limit,
    unit,
  };
}
