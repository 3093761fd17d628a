/**
 * `turnpike bench <scenario.yaml>`: open-model load test with a bottleneck verdict.
 * Exit 0 when every threshold passed, 1 when one failed, 2 on a bad scenario or flag,
 * 3 when the run is invalid (the generator itself was the bottleneck). See docs/bench.md.
 */
import { writeFile } from 'node:fs/promises';
import { integerInRange, parseFlags, UsageError } from './parse-flags.js';
import { runCommand } from './run-command.js';

export const BENCH_USAGE = `Usage: turnpike bench <scenario.yaml> [options]

  --target <url>     override the scenario's target
  --workers <n>      generator threads (default: the scenario's, else 1)
  --json <file>      write the JSON report (schema turnpike-bench/1); '-' prints it on
                     stdout instead of the summary (which then goes to stderr)
  --html <file>      write a self-contained HTML report (no network needed to open it)
  --outcomes <file>  write every request's outcome as CSV: seq,kind,status,outcome
  --quiet            no line per second while running
  --check            validate the scenario and exit
  --in-process       run the generator on the main thread (debugging)
  --help, -h         this text

Exit codes: 0 pass, 1 a threshold failed, 2 bad scenario or flag, 3 invalid run (generator-bound).
`;

export function runBench(args: string[]): Promise<number> {
  return runCommand({ name: 'bench', usage: BENCH_USAGE, run: bench }, args);
}

async function bench(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, OPTIONS);
  const [file, extra] = positionals;
  if (file === undefined) {
    process.stderr.write(BENCH_USAGE);
    return 2;
  }
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const workers = integerInRange('--workers', values.workers, 1, 64);
  if (values.target !== undefined && (!/^https?:\/\//.test(values.target) || !URL.canParse(values.target)))
    throw new UsageError(`--target must be an http(s) URL, got "${values.target}"`);
  const { loadScenarioFile } = await import('../bench/load-scenario.js');
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) {
    for (const issue of loaded.issues) process.stderr.write(`${file}: ${issue.path}: ${issue.message}\n`);
    process.stderr.write(`${file}: ${loaded.issues.length} error(s)\n`);
    return 2;
  }
  const scenario = loaded.scenario;
  if (values.target !== undefined) scenario.target = values.target;
  if (workers !== undefined) scenario.workers = workers;
  if (values.check) {
    process.stdout.write(
      `${file}: valid (${loaded.format} format, ${scenario.phases.length} phase(s), ${scenario.requests.length} request kind(s))\n`,
    );
    return 0;
  }

  const { runBench: run } = await import('../bench/run-bench.js');
  const { formatSummary } = await import('../bench/terminal.js');
  let outcomesCsv: string | undefined;
  const report = await run({
    scenario,
    format: loaded.format,
    inProcess: values['in-process'] ?? false,
    ...(!values.quiet && { onLiveLine: (line: string) => process.stderr.write(`${line}\n`) }),
    ...(values.outcomes !== undefined && {
      onOutcomes: (outcomes) => {
        outcomesCsv = outcomes.toCsv();
      },
    }),
  });
  const jsonToStdout = values.json === '-';
  (jsonToStdout ? process.stderr : process.stdout).write(formatSummary(report));
  if (values.outcomes !== undefined && outcomesCsv !== undefined) {
    await writeFile(values.outcomes, outcomesCsv);
    process.stderr.write(`outcomes: ${values.outcomes}\n`);
  }
  if (jsonToStdout) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (values.json !== undefined) {
    await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`JSON report: ${values.json}\n`);
  }
  if (values.html !== undefined) {
    const { renderHtmlReport } = await import('../bench/report-html.js');
    await writeFile(values.html, renderHtmlReport(report));
    process.stderr.write(`HTML report: ${values.html}\n`);
  }
  if (!report.generator.valid) return 3;
  return report.pass ? 0 : 1;
}

const OPTIONS = {
  target: { type: 'string' },
  workers: { type: 'string', short: 'w' },
  json: { type: 'string' },
  html: { type: 'string' },
  outcomes: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  check: { type: 'boolean' },
  'in-process': { type: 'boolean' },
} as const;
