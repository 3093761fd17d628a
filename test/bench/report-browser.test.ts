/**
 * The HTML report of a real run, opened in a real browser: `turnpike bench --html` (the binary)
 * against a gateway in front of anvil, then Debian's chromium through playwright-core. The page
 * must load nothing but itself, raise no error, and draw every chart with its labels inside the
 * picture; the summary must name the phases and the verdict.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/bench/report-html.js';
import type { BenchReport } from '../../src/bench/report-schema.js';
import { runCli } from '../support/cli.js';
import { type GatewayFixture, startGatewayFixture } from '../support/gateway-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const CHART_TITLES = [
  'Rate per second',
  'Latency by intended second (log scale)',
  'Errors per second',
  'Requests in flight',
  'Gateway event-loop utilization per worker',
  'Gateway event-loop delay per worker, p99 and p50 per scrape (log scale)',
];

let fixture: GatewayFixture;
let browser: Browser;
let dir: string;
/** The real run: its exit code, JSON report and HTML file. */
let run: { code: number | null; report: BenchReport; html: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-report-'));
  fixture = await startGatewayFixture();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const scenario = join(dir, 'scenario.yaml');
  await writeFile(
    scenario,
    `target: ${fixture.url}
connections: 4
metrics: { url: /metrics, interval: 500ms }
phases:
  - { name: warmup, duration: 1s, rate: 40 }
  - { name: ramp, duration: 2s, from: 40, to: 120 }
  - { name: sustain, duration: 2s, rate: 100 }
requests:
  - { weight: 3, rpc: { method: eth_chainId } }
  - { weight: 1, rpc: { method: eth_blockNumber } }
thresholds:
  - errors < 50%
`,
  );
  const html = join(dir, 'report.html');
  const json = join(dir, 'report.json');
  const cli = await runCli(['bench', scenario, '--quiet', '--html', html, '--json', json]);
  // 0: passed; 3: the generator was starved on a busy machine. Either way the reports are written.
  if (cli.code !== 0 && cli.code !== 3) throw new Error(`turnpike bench exited ${cli.code}: ${cli.stderr}`);
  run = { code: cli.code, report: JSON.parse(await readFile(json, 'utf8')) as BenchReport, html };
});

afterAll(async () => {
  await browser?.close();
  await fixture?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Opens a report file, refusing and recording every request but the file itself. */
async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage();
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      errors.push(`console ${message.type()}: ${message.text()}`);
  });
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, errors };
}

/** What the page shows of each chart, measured by the browser's layout. */
interface ChartView {
  title: string;
  width: number;
  height: number;
  paths: { d: string; length: number }[];
  /** Labels whose box leaves the SVG's box (clipped when drawn). */
  outside: string[];
  /** Pairs of legend entries drawn over each other. */
  overlapping: string[];
}

function readCharts(page: Page): Promise<ChartView[]> {
  return page.$$eval('svg', (svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      const inside = (r: { left: number; right: number; top: number; bottom: number }) =>
        r.left >= box.left - 0.5 &&
        r.right <= box.right + 0.5 &&
        r.top >= box.top - 0.5 &&
        r.bottom <= box.bottom + 0.5;
      const labels = [...svg.querySelectorAll('text')];
      const legends = labels.filter((t) => t.classList.contains('legend'));
      const overlapping: string[] = [];
      legends.forEach((a, i) => {
        const ra = a.getBoundingClientRect();
        for (const b of legends.slice(i + 1)) {
          const rb = b.getBoundingClientRect();
          if (ra.left < rb.right && rb.left < ra.right && ra.top < rb.bottom && rb.top < ra.bottom)
            overlapping.push(`${a.textContent} / ${b.textContent}`);
        }
      });
      return {
        title: svg.querySelector('.title')?.textContent ?? '',
        width: box.width,
        height: box.height,
        paths: [...svg.querySelectorAll('path')].map((p) => ({
          d: p.getAttribute('d') ?? '',
          length: p.getTotalLength(),
        })),
        outside: labels.filter((t) => !inside(t.getBoundingClientRect())).map((t) => t.textContent ?? ''),
        overlapping,
      };
    }),
  );
}

/** Every chart drawn: a size, one non-empty line per series, no label clipped or covered. */
function expectDrawn(charts: readonly ChartView[]): void {
  for (const chart of charts) {
    expect(chart.width, chart.title).toBeGreaterThan(0);
    expect(chart.height, chart.title).toBeGreaterThan(0);
    expect(chart.paths.length, chart.title).toBeGreaterThan(0);
    for (const path of chart.paths) {
      expect(path.d, chart.title).toMatch(/^M[\d.]+,[\d.]+(?:[ML][\d.]+,[\d.]+)+$/);
      expect(path.length, `${chart.title}: ${path.d}`).toBeGreaterThan(0);
    }
    expect(chart.outside, chart.title).toEqual([]);
    expect(chart.overlapping, chart.title).toEqual([]);
  }
}

it('renders a real run as a self-contained page with every chart drawn', async () => {
  const { report } = run;
  const { page, requests, errors } = await open(run.html);

  expect(errors).toEqual([]);
  expect(requests).toEqual([pathToFileURL(run.html).href]);

  const charts = await readCharts(page);
  expect(charts.map((c) => c.title)).toEqual(CHART_TITLES);
  expectDrawn(charts);
  expect(await page.locator('p.empty').count()).toBe(0);

  // The verdict box and the summary table: every phase, the measured total, the verdict.
  const verdict = (await page.locator('.verdict').textContent()) ?? '';
  expect(verdict).toContain(`${report.verdict.bottleneck}: ${report.verdict.summary}`);
  expect(verdict).toContain(`result: ${run.code === 3 ? 'INVALID' : 'PASS'}`);
  const summary = (await page.locator('pre').textContent()) ?? '';
  const rows = summary.split('\n');
  for (const phase of ['warmup', 'ramp', 'sustain', 'measured'])
    expect(
      rows.some((row) => row.startsWith(`${phase} `)),
      `a summary row for ${phase}`,
    ).toBe(true);
  expect(summary).toContain(`verdict: ${report.verdict.bottleneck}: ${report.verdict.summary}`);
  expect(summary).toContain('PASS  errors < 50%');
  // The embedded report is the JSON report.
  const embedded = JSON.parse((await page.locator('script#report').textContent()) ?? '') as BenchReport;
  expect(embedded.verdict).toEqual(report.verdict);
  expect(embedded.phases.map((p) => p.name)).toEqual(['warmup', 'ramp', 'sustain']);
  await page.close();
});

it('wraps the legend of a gateway with many workers instead of drawing it off the chart', async () => {
  // The real run's report, as if eight gateway workers had reported the same figures.
  const report = structuredClone(run.report);
  const workers = ['0', '1', '2', '3', '4', '5', '6', '7'];
  for (const sample of report.server!.samples) {
    const elu = sample.elu['0'];
    const delay = sample.loopDelay?.['0'];
    if (elu !== undefined) sample.elu = Object.fromEntries(workers.map((w) => [w, elu]));
    if (delay !== undefined) sample.loopDelay = Object.fromEntries(workers.map((w) => [w, delay]));
  }
  const html = join(dir, 'many-workers.html');
  await writeFile(html, renderHtmlReport(report));
  const { page, requests, errors } = await open(html);

  expect(errors).toEqual([]);
  expect(requests).toEqual([pathToFileURL(html).href]);
  const charts = await readCharts(page);
  expect(charts.map((c) => c.title)).toEqual(CHART_TITLES);
  expectDrawn(charts);
  // Sixteen delay series take more than one legend row: that chart grew to hold them.
  const delay = charts.find((c) => c.title.startsWith('Gateway event-loop delay'))!;
  expect(delay.paths).toHaveLength(16);
  expect(delay.height).toBeGreaterThan(charts[0]!.height);
  await page.close();
});
