// Open-model load for the relayer intake, as a thin caller of `turnpike bench`'s engine
// (`turnpike/bench`, so `npm run build` first): request i is due at t0 + i/rate whatever happened to
// earlier ones and POSTs /v1/transfers, built by relayer-transfers.mjs (its own Idempotency-Key,
// `perRequest` transfers to recipients derived from the sequence number). Accept latency is the
// engine's corrected latency (end − intended) from its merged histograms; the run's validity is
// the engine's generator self-check, and its verdict comes along. Answers 200 and 202 count as
// accepted; the engine keeps every request's outcome, which is how the audit knows which
// transfers to look for.
//
// Run as a child process so the parent's sampling never disturbs the schedule:
//   node relayer-load.mjs '{"origin":"http://127.0.0.1:8080","rate":200,"seconds":60,...}'
// Prints {"type":"interval",...} every second, then {"type":"result",...}. With `statusFile`
// it writes one byte per request, by sequence number (1 = accepted, else 0), for the audit.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const TRANSFERS = new URL('./relayer-transfers.mjs', import.meta.url).href;

export async function runRelayerLoad(options, onInterval = () => {}) {
  // The package's own build (`npm run build`), through its `turnpike/bench` export.
  const { validateScenario, runBench } = await import('turnpike/bench');
  const {
    origin,
    rate,
    seconds,
    warmupSeconds = 0,
    perRequest = 1,
    recipients = 'unique',
    tag,
    amount = '1000',
    token = 'DEMO',
    connections = 64,
    timeoutMs = 10_000,
    statusFile,
    apiKey,
  } = options;
  const phases = [];
  if (warmupSeconds > 0) phases.push({ name: 'warmup', duration: warmupSeconds, rate });
  phases.push({ name: 'sustain', duration: seconds, rate });
  const checked = validateScenario({
    target: origin,
    metrics: false,
    connections,
    timeout: timeoutMs / 1000,
    phases,
    requests: [
      {
        name: 'transfer',
        path: '/v1/transfers',
        generate: {
          module: TRANSFERS,
          export: 'transferRequests',
          options: { tag, perRequest, recipients, amount, token, apiKey },
        },
        expect: { status: [200, 202] },
      },
    ],
  });
  if (!checked.ok) throw new Error(checked.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  let outcomes;
  const report = await runBench({
    scenario: checked.scenario,
    onLive: (live) =>
      onInterval({
        type: 'interval',
        tSeconds: live.t,
        acceptedRps: live.okRps,
        errors: live.errorRps,
        p50Ms: live.p50,
        p99Ms: live.p99,
        inFlight: live.outstanding,
      }),
    onOutcomes: (o) => {
      outcomes = o;
    },
  });
  const accepted = new Uint8Array(outcomes.size);
  let acceptedRequests = 0;
  for (let seq = 0; seq < outcomes.size; seq++)
    if (outcomes.ok(seq)) {
      accepted[seq] = 1;
      acceptedRequests++;
    }
  if (statusFile !== undefined) writeFileSync(statusFile, accepted);
  return resultOf(report, { rate, perRequest, seconds, acceptedRequests });
}

/** The report in the shape benchmarks/relayer.mjs reads (latency in ms). */
function resultOf(report, { rate, perRequest, seconds, acceptedRequests }) {
  const measured = report.measured;
  const warmup = report.phases.find((p) => p.name === 'warmup');
  const transfer = report.kinds.find((k) => k.name === 'transfer');
  const t0EpochMs = Date.parse(report.t0);
  return {
    type: 'result',
    offeredRps: rate,
    perRequest,
    seconds,
    sent: measured.scheduled,
    warmupSent: warmup?.scheduled ?? 0,
    ok: measured.ok,
    /** Requests answered 200/202, warm-up included (what went to the store). */
    acceptedRequests,
    errors: { total: measured.errors, warmup: warmup?.errors ?? 0, byKind: measured.errorsByKind },
    errorRate: measured.errorRate,
    /** Accepted answers to the sustain phase's requests that ended inside it, per second. */
    acceptedRps: measured.achievedRps,
    latencyMs: transfer.corrected,
    serviceTimeMs: transfer.service,
    sendLagMs: measured.lag,
    dispatchLagMs: report.generator.dispatchLag,
    generatorElu: Math.max(...report.generator.threads.map((t) => t.elu)),
    maxInFlight: Math.max(0, ...report.seconds.map((s) => s.inflightMax)),
    t0EpochMs,
    measureStartEpochMs: t0EpochMs + measured.start * 1000,
    valid: report.generator.valid,
    invalid: report.generator.invalidReasons,
    verdict: { bottleneck: report.verdict.bottleneck, summary: report.verdict.summary },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const emit = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);
  runRelayerLoad(JSON.parse(process.argv[2]), emit).then(emit, (err) => {
    console.error(err);
    process.exit(1);
  });
}
