// The chaos suite's steady load for one phase, as a thin caller of `turnpike bench`'s engine
// (`turnpike/bench`, so `npm run build` first): open-model at `rate` over three scheduled
// windows (`before`, `fault`, `after`), so the engine's per-phase report gives each window's
// error rate and p99 and its per-second rows give the recovery time.
//   node load.mjs '{"kind":"rpc"|"transfer","origin":"http://127.0.0.1:8080","rate":100,...}'
// `rpc`: eth_getBalance at latest (never cached, so every request reaches an upstream) on
// `/<network>` with the phase's API key. `transfer`: POST /v1/transfers built by
// ../lib/relayer-transfers.mjs (unique recipients under `tag`, one Idempotency-Key each); with
// `statusFile` it writes one byte per request (1 = accepted) for the on-chain audit.
// Prints {"type":"tick","t":…} every second (the suite times its fault by them), then one
// {"type":"result",...} line.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const TRANSFERS = new URL('../lib/relayer-transfers.mjs', import.meta.url).href;
const PROBE_ADDRESS = '0x00000000000000000000000000000000000c4a05';

function requestsOf({ kind, network, tag }) {
  if (kind === 'rpc')
    return [
      {
        name: 'rpc',
        path: `/${network}`,
        rpc: { method: 'eth_getBalance', params: [PROBE_ADDRESS, 'latest'] },
      },
    ];
  return [
    {
      name: 'transfer',
      path: '/v1/transfers',
      generate: {
        module: TRANSFERS,
        export: 'transferRequests',
        options: { tag, perRequest: 1, recipients: 'unique', amount: '1000', token: 'DEMO' },
      },
      expect: { status: [200, 202] },
    },
  ];
}

export async function runChaosLoad(options, onTick = () => {}) {
  const { validateScenario, runBench } = await import('turnpike/bench');
  const { origin, rate, windows, apiKey, connections = 32, timeoutMs = 10_000, statusFile } = options;
  const checked = validateScenario({
    target: origin,
    apiKey,
    metrics: false,
    connections,
    timeout: timeoutMs / 1000,
    phases: windows.map(({ name, seconds }) => ({ name, duration: seconds, rate })),
    requests: requestsOf(options),
  });
  if (!checked.ok) throw new Error(checked.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  let outcomes;
  const report = await runBench({
    scenario: checked.scenario,
    onLive: (live) => onTick({ type: 'tick', t: live.t, ok: live.okRps, errors: live.errorRps }),
    ...(statusFile !== undefined && { onOutcomes: (o) => (outcomes = o) }),
  });
  if (statusFile !== undefined) {
    const accepted = new Uint8Array(outcomes.size);
    for (let seq = 0; seq < outcomes.size; seq++) if (outcomes.ok(seq)) accepted[seq] = 1;
    writeFileSync(statusFile, accepted);
  }
  return {
    type: 'result',
    kind: options.kind,
    rate,
    windows: report.phases.map((p) => ({
      name: p.name,
      start: p.start,
      scheduled: p.scheduled,
      ok: p.ok,
      errors: p.errors,
      errorRate: p.errorRate,
      errorsByKind: p.errorsByKind,
      achievedRps: p.achievedRps,
      p99Ms: p.corrected.p99,
    })),
    seconds: report.seconds.map((s) => ({ t: s.t, sent: s.sentRps, ok: s.achievedRps, errors: s.errorRps })),
    ok: report.phases.reduce((sum, p) => sum + p.ok, 0),
    valid: report.generator.valid,
    invalid: report.generator.invalidReasons,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const emit = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);
  runChaosLoad(JSON.parse(process.argv[2]), emit).then(emit, (err) => {
    console.error(err);
    process.exit(1);
  });
}
