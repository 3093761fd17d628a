// Open-model load for the benchmark scripts, as a thin caller of `turnpike bench`'s engine
// (`turnpike/bench`, so `npm run build` first): request i is due on an absolute schedule whatever
// happened to earlier ones, latency is measured from that *intended* time (coordinated
// omission), HDR histograms are merged, and a run whose generator could not keep up is marked
// invalid (dispatch lag p99 > 5 ms or its event loop > 90 % busy; see docs/bench.md).
//
// Run as a child process (see load.mjs) so the parent's sampling never disturbs the schedule:
//   node open-loop.mjs '{"url":"http://127.0.0.1:8545/","rate":2000,"seconds":10,...}'
// It prints JSON lines: {"type":"interval",...} every second when intervalSeconds > 0, then
// {"type":"result",...} in the shape the benchmark scripts read.
//
// Option `bodiesFile` (a JSON file `{ "bodies": [...], "classes": [...] }`, classes optional):
// the bodies are sent in rotation instead of the one `body`; with classes, each class is a
// request kind of the engine (weighted by its share of the bodies) and the result holds
// latency percentiles per class (`byClass`).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { REQUEST_BODY } from './jsonrpc.mjs';

export async function runOpenLoop(options, onInterval = () => {}) {
  // The package's own build (`npm run build`), through its `turnpike/bench` export.
  const { validateScenario, runBench } = await import('turnpike/bench');
  const {
    url,
    body = REQUEST_BODY,
    rate,
    seconds,
    warmupSeconds = 0,
    connections = 32,
    timeoutMs = 10_000,
    intervalSeconds = 0,
    bodiesFile,
  } = options;
  const phases = [];
  if (warmupSeconds > 0) phases.push({ name: 'warmup', duration: warmupSeconds, rate });
  phases.push({ name: 'measured', duration: seconds, rate });
  const checked = validateScenario({
    target: url,
    metrics: false,
    connections,
    timeout: timeoutMs / 1000,
    phases,
    requests: requestsOf(body, bodiesFile),
  });
  if (!checked.ok) throw new Error(checked.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  const report = await runBench({
    scenario: checked.scenario,
    ...(intervalSeconds > 0 && {
      onLive: (live) =>
        onInterval({
          type: 'interval',
          tSeconds: live.t,
          rps: live.okRps + live.errorRps,
          ok: live.okRps,
          errors: live.errorRps,
          p50Ms: live.p50,
          p99Ms: live.p99,
          inFlight: live.outstanding,
        }),
    }),
  });
  return resultOf(report, rate, seconds);
}

/** One request kind for one body; with a bodies file, one kind per class (or one for all). */
function requestsOf(body, bodiesFile) {
  if (bodiesFile === undefined) return [{ name: 'request', bodies: [String(body)] }];
  const { bodies, classes } = JSON.parse(readFileSync(bodiesFile, 'utf8'));
  if (!Array.isArray(bodies) || bodies.length === 0) throw new Error(`${bodiesFile}: no bodies`);
  if (!Array.isArray(classes)) return [{ name: 'request', bodies: bodies.map(String) }];
  if (classes.length !== bodies.length) throw new Error(`${bodiesFile}: one class per body expected`);
  const byClass = new Map();
  bodies.forEach((b, i) => {
    const list = byClass.get(classes[i]) ?? [];
    list.push(String(b));
    byClass.set(classes[i], list);
  });
  return [...byClass].map(([name, list]) => ({ name: String(name), weight: list.length, bodies: list }));
}

/** The report in the shape the benchmark scripts read (latency in ms). */
function resultOf(report, rate, seconds) {
  const measured = report.phases.find((p) => p.name === 'measured');
  const warmup = report.phases.find((p) => p.name === 'warmup');
  const byClass = Object.fromEntries(report.kinds.map((k) => [k.name, k.corrected]));
  return {
    type: 'result',
    offeredRps: rate,
    seconds,
    sent: measured.scheduled,
    warmupSent: warmup?.scheduled ?? 0,
    ok: measured.ok,
    errors: { total: measured.errors, warmup: warmup?.errors ?? 0, byKind: measured.errorsByKind },
    errorRate: measured.errorRate,
    completedRps: measured.achievedRps,
    latencyMs: measured.corrected,
    serviceTimeMs: measured.service,
    sendLagMs: measured.lag,
    dispatchLagMs: report.generator.dispatchLag,
    generatorElu: Math.max(...report.generator.threads.map((t) => t.elu)),
    maxInFlight: Math.max(0, ...report.seconds.map((s) => s.inflightMax)),
    valid: report.generator.valid,
    invalid: report.generator.invalidReasons,
    ...(report.kinds[0]?.name !== 'request' && { byClass }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const emit = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);
  runOpenLoop(JSON.parse(process.argv[2]), emit).then(emit, (err) => {
    console.error(err);
    process.exit(1);
  });
}
