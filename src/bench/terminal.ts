/** What `turnpike bench` prints: a line a second while it runs, and the summary at the end. */
import type { LatencySummary } from './histogram.js';
import type { BenchReport, PhaseReport } from './report-schema.js';

const num = (value: number, digits = 2) =>
  Number.isNaN(value)
    ? '–'
    : value >= 100
      ? value.toFixed(0)
      : value >= 10
        ? value.toFixed(1)
        : value.toFixed(digits);

export interface LiveLine {
  t: number;
  phase: string;
  targetRps: number;
  sentRps: number;
  okRps: number;
  errorRps: number;
  outstanding: number;
  p50: number;
  p99: number;
}

export function formatLive(line: LiveLine): string {
  return `[${line.t.toFixed(0).padStart(4)}s] ${line.phase.padEnd(10)} target ${num(line.targetRps).padStart(6)}/s  sent ${String(line.sentRps).padStart(6)}/s  ok ${String(line.okRps).padStart(6)}/s  err ${String(line.errorRps).padStart(4)}/s  out ${String(line.outstanding).padStart(5)}  p50 ${num(line.p50)} ms  p99 ${num(line.p99)} ms`;
}

function latency(l: LatencySummary): string {
  return [l.p50, l.p90, l.p99, l.p999, l.max].map((v) => num(v)).join(' / ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n');
}

function phaseRow(p: PhaseReport): string[] {
  return [
    p.name,
    num(p.targetRps, 1),
    num(p.achievedRps, 1),
    `${((p.achievedRps / (p.targetRps || 1)) * 100).toFixed(1)} %`,
    String(p.ok),
    String(p.errors),
    String(p.dropped),
    latency(p.corrected),
    latency(p.service),
  ];
}

export function formatSummary(report: BenchReport): string {
  const out: string[] = [];
  const s = report.settings;
  out.push(
    `turnpike bench → ${report.target} (${s.arrivals} arrivals, ${s.workers} generator thread(s), ${s.connections} connections, in flight ≤ ${s.inflightMax}, ${s.policy} at the bound)`,
    '',
    'latency in ms: p50 / p90 / p99 / p99.9 / max; corrected = end − intended send time, service = end − actual send',
    table([
      ['phase', 'target rps', 'achieved rps', 'achieved', 'ok', 'errors', 'dropped', 'corrected', 'service'],
      ...report.phases.map(phaseRow),
      phaseRow(report.measured),
    ]),
    '',
    table([
      ['request kind', 'ok', 'errors', 'corrected', 'service', 'first byte'],
      ...report.kinds.map((k) => [
        k.name,
        String(k.ok),
        String(k.errors),
        latency(k.corrected),
        latency(k.service),
        latency(k.firstByte),
      ]),
    ]),
  );
  const errors = Object.entries(report.measured.errorsByKind).sort((a, b) => b[1] - a[1]);
  out.push(
    '',
    `errors by kind (measured phases): ${errors.length === 0 ? 'none' : errors.map(([k, n]) => `${k} ${n}`).join(', ')}`,
  );
  const stages = report.serverTiming[report.phases.find((p) => p.name !== 'warmup')?.name ?? ''] ?? {};
  const stageNames = Object.keys(stages);
  if (stageNames.length > 0)
    out.push(
      `Server-Timing stages (first measured phase), ms p50/p99: ${stageNames.map((n) => `${n} ${num(stages[n]!.p50)}/${num(stages[n]!.p99)}`).join(', ')}`,
    );
  const server = report.server?.measured;
  if (server !== undefined && server.scrapes > 0) {
    const parts = [`${server.scrapes} scrapes`];
    const workers = Object.entries(server.eluMaxByWorker);
    if (workers.length > 0)
      parts.push(`event loop max ${workers.map(([w, v]) => `w${w} ${(v * 100).toFixed(0)} %`).join(', ')}`);
    const delays = Object.entries(server.loopDelayByWorker ?? {});
    if (delays.length > 0)
      parts.push(
        `loop delay p99 / max ${delays.map(([w, d]) => `w${w} ${num(d.p99Max)} / ${num(d.max)} ms`).join(', ')}`,
      );
    else if (server.loopDelayP99MaxMs !== undefined)
      parts.push(`loop delay p99 ≤ ${num(server.loopDelayP99MaxMs)} ms`);
    if (server.inflightMax !== undefined) parts.push(`in flight ≤ ${server.inflightMax}`);
    if (server.upstreamInflightMax !== undefined)
      parts.push(`upstream in flight ≤ ${server.upstreamInflightMax}`);
    if (server.requests !== undefined) parts.push(`${server.requests} requests counted`);
    if (server.rateLimited !== undefined) parts.push(`${server.rateLimited} rate-limit refusals`);
    if (server.cacheHitRatio !== undefined)
      parts.push(`cache hits ${(server.cacheHitRatio * 100).toFixed(1)} %`);
    out.push(`gateway (/metrics, measured phases): ${parts.join('; ')}`);
  }
  out.push(
    `schedule lag (sent − intended), measured: p50 ${num(report.measured.lag.p50)} ms, p99 ${num(report.measured.lag.p99)} ms`,
  );
  const cpu = report.generator.cpu;
  if (cpu !== undefined)
    out.push(
      `generator CPU from t0: ${num(cpu.seconds)} s, ${num(cpu.usPerRequest)} µs per request (this process, all threads)`,
    );
  out.push(`Little's law: ${report.littlesLaw.note}`);
  if (report.knee)
    out.push(
      `knee of ramp "${report.knee.phase}" at ${report.knee.t}s: offered ${report.knee.offeredRps} rps, achieved ${report.knee.achievedRps} rps (${report.knee.reason})`,
    );
  out.push('', `verdict: ${report.verdict.bottleneck}: ${report.verdict.summary}`);
  for (const rule of report.verdict.rules) {
    out.push(`  ${rule.matched ? '▶' : '·'} ${rule.rule}`);
    for (const line of rule.evidence) out.push(`      ${line}`);
  }
  if (report.thresholds.length > 0) {
    out.push('', 'thresholds:');
    for (const t of report.thresholds)
      out.push(
        `  ${t.pass ? 'PASS' : 'FAIL'}  ${t.rule}   (actual ${fmtValue(t.actual, t.unit)}, limit ${fmtValue(t.limit, t.unit)})`,
      );
  }
  const result = !report.generator.valid ? 'INVALID (generator-bound)' : report.pass ? 'PASS' : 'FAIL';
  out.push('', `result: ${result}`);
  return `${out.join('\n')}\n`;
}

function fmtValue(value: number, unit: string): string {
  if (unit === 'ratio') return `${(value * 100).toFixed(3)} %`;
  if (unit === 'ms') return `${num(value)} ms`;
  if (unit === 'rps') return `${num(value, 1)} rps`;
  return String(value);
}
