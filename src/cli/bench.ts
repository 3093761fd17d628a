/**
 * `turnpike bench <scenario.yaml>`: open-model load test with a bottleneck verdict.
 * Exit 0 when every threshold passed, 1 when one failed, 2 on a bad scenario or flag,
 * 3 when the run is invalid (the generator itself was the bottleneck). See docs/bench.md.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const HELP = `Usage: turnpike bench <scenario.yaml> [options]

  --target <url>     override the scenario's target
  --workers <n>      generator threads (default: the scenario's, else 1)
  --json <file>      write the JSON report (schema turnpike-bench/1)
  --html <file>      write a self-contained HTML report (no network needed to open it)
  --outcomes <file>  write every request's outcome as CSV: seq,kind,status,outcome
  --quiet            no line per second while running
  --check            validate the scenario and exit
  --in-process       run the generator on the main thread (debugging)

Exit codes: 0 pass, 1 a threshold failed, 2 bad scenario or flag, 3 invalid run (generator-bound).
`;

export async function runBench(args: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(args));
  } catch (err) {
    process.stderr.write(`turnpike bench: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write(HELP);
    return 2;
  }
  const { loadScenarioFile } = await import('../bench/load-scenario.js');
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) {
    for (const issue of loaded.issues) process.stderr.write(`${file}: ${issue.path}: ${issue.message}\n`);
    process.stderr.write(`${file}: ${loaded.issues.length} error(s)\n`);
    return 2;
  }
  const scenario = loaded.scenario;
  if (values.target !== undefined) {
    if (!/^https?:\/\//.test(values.target) || !URL.canParse(values.target)) {
      process.stderr.write(`turnpike bench: --target must be an http(s) URL, got "${values.target}"\n`);
      return 2;
    }
    scenario.target = values.target;
  }
  if (values.workers !== undefined) {
    const workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      process.stderr.write(
        `turnpike bench: --workers must be an integer from 1 to 64, got "${values.workers}"\n`,
      );
      return 2;
    }
    scenario.workers = workers;
  }
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
  process.stdout.write(formatSummary(report));
  if (values.outcomes !== undefined && outcomesCsv !== undefined) {
    await writeFile(values.outcomes, outcomesCsv);
    process.stderr.write(`outcomes: ${values.outcomes}\n`);
  }
  if (values.json !== undefined) {
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

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      target: { type: 'string' },
      workers: { type: 'string', short: 'w' },
      json: { type: 'string' },
      html: { type: 'string' },
      outcomes: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      check: { type: 'boolean' },
      'in-process': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
