/**
 * The HTML report: one file with inline SVG charts (rate, latency percentiles, errors,
 * in-flight, gateway signals), the summary text and the JSON report embedded for tools. No
 * script, stylesheet or font is fetched: it opens from disk without a network.
 */
import type { BenchReport } from './report-schema.js';
import { lineChart, type Series } from './svg-chart.js';
import { formatSummary } from './terminal.js';

const esc = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];

const STYLE = `body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
pre{background:#f6f6f6;padding:12px;overflow-x:auto;font-size:12px}
svg{display:block;margin:8px 0 16px}.title{font-weight:600;font-size:13px}
.grid{stroke:#e3e3e3}.ytick{font-size:10px;text-anchor:end;dominant-baseline:middle}
.xtick{font-size:10px;text-anchor:middle}.legend,.unit{font-size:11px}
.verdict{padding:10px 14px;border-left:4px solid #1f77b4;background:#f2f7fc}
.invalid{border-color:#d62728;background:#fcf2f2}.empty{color:#888}`;

export function renderHtmlReport(report: BenchReport): string {
  const s = report.seconds;
  const at = (pick: (x: (typeof s)[number]) => number) => s.map((x) => [x.t, pick(x)] as const);
  const charts: string[] = [];
  charts.push(
    lineChart({
      title: 'Rate per second',
      yUnit: 'requests/s',
      series: [
        { name: 'offered', color: COLORS[0]!, points: at((x) => x.offeredRps), dashed: true },
        { name: 'sent', color: COLORS[3]!, points: at((x) => x.sentRps) },
        { name: 'achieved (ok)', color: COLORS[2]!, points: at((x) => x.achievedRps) },
        { name: 'errors', color: COLORS[1]!, points: at((x) => x.errorRps) },
      ],
    }),
    lineChart({
      title: 'Latency by intended second (log scale)',
      yUnit: 'ms',
      log: true,
      series: [
        { name: 'corrected p50', color: COLORS[0]!, points: at((x) => x.corrected.p50) },
        { name: 'corrected p99', color: COLORS[1]!, points: at((x) => x.corrected.p99) },
        { name: 'corrected max', color: COLORS[4]!, points: at((x) => x.corrected.max), dashed: true },
        { name: 'service p99', color: COLORS[2]!, points: at((x) => x.service.p99) },
        { name: 'schedule lag p99', color: COLORS[5]!, points: at((x) => x.lagP99), dashed: true },
      ],
    }),
    lineChart({
      title: 'Errors per second',
      yUnit: 'errors/s',
      series: [{ name: 'errors', color: COLORS[1]!, points: at((x) => x.errorRps) }],
    }),
  );
  const samples = (report.server?.samples ?? []).filter((x) => x.error === undefined);
  const inflight: Series[] = [
    { name: 'client mean', color: COLORS[0]!, points: at((x) => x.inflightMean) },
    { name: 'client max', color: COLORS[0]!, points: at((x) => x.inflightMax), dashed: true },
  ];
  if (samples.some((x) => x.inflight !== undefined))
    inflight.push({
      name: 'gateway',
      color: COLORS[3]!,
      points: samples.map((x) => [x.at / 1000, x.inflight ?? Number.NaN]),
    });
  if (samples.some((x) => x.upstreamInflight !== undefined))
    inflight.push({
      name: 'upstream',
      color: COLORS[2]!,
      points: samples.map((x) => [x.at / 1000, x.upstreamInflight ?? Number.NaN]),
    });
  charts.push(lineChart({ title: 'Requests in flight', yUnit: 'requests', series: inflight }));
  const workers = [...new Set(samples.flatMap((x) => Object.keys(x.elu)))];
  if (workers.length > 0)
    charts.push(
      lineChart({
        title: 'Gateway event-loop utilization per worker',
        yUnit: 'busy (0–1)',
        series: workers.map((w, i) => ({
          name: `worker ${w}`,
          color: COLORS[i % COLORS.length]!,
          points: samples.map((x) => [x.at / 1000, x.elu[w] ?? Number.NaN] as const),
        })),
      }),
    );
  const delayWorkers = [...new Set(samples.flatMap((x) => Object.keys(x.loopDelay ?? {})))];
  if (delayWorkers.length > 0)
    charts.push(
      lineChart({
        title: 'Gateway event-loop delay per worker, p99 and p50 per scrape (log scale)',
        yUnit: 'ms',
        log: true,
        // p99, as the verdict reads it (in a 1-s window of ≈ 50 ticks it is close to the max),
        // and p50 for the typical delay.
        series: delayWorkers.flatMap((w, i) => {
          const color = COLORS[i % COLORS.length]!;
          const at = (pick: 'p50' | 'p99') =>
            samples.map((x) => [x.at / 1000, x.loopDelay?.[w]?.[pick] ?? Number.NaN] as const);
          return [
            { name: `worker ${w} p99`, color, points: at('p99') },
            { name: `worker ${w} p50`, color, points: at('p50'), dashed: true },
          ];
        }),
      }),
    );
  const invalid = !report.generator.valid;
  const json = JSON.stringify(report).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>turnpike bench — ${esc(report.target)}</title><style>${STYLE}</style></head>
<body>
<h1>turnpike bench — ${esc(report.target)}</h1>
<p>${esc(report.startedAt)} · ${esc(report.settings.arrivals)} arrivals · ${report.settings.workers} generator thread(s) · ${report.settings.connections} connections</p>
<div class="verdict${invalid ? ' invalid' : ''}"><strong>${esc(report.verdict.bottleneck)}</strong>: ${esc(report.verdict.summary)}<br>result: <strong>${invalid ? 'INVALID' : report.pass ? 'PASS' : 'FAIL'}</strong></div>
<h2>Time series</h2>
${charts.join('\n')}
<h2>Summary</h2>
<pre>${esc(formatSummary(report))}</pre>
<script type="application/json" id="report">${json}</script>
</body></html>
`;
}
