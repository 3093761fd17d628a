// `npm run bench:soak`: Turnpike (all workers) in front of a steady upstream and one that flaps,
// at a fixed open-loop rate for SOAK_MINUTES. Passes when memory at the end is within 10 % of
// minute 1 and clients saw (almost) no errors while the breaker opened and closed. See docs/benchmarks.md.
import os from 'node:os';
import { makeTempDir, runBenchmark } from './lib/children.mjs';
import { soakConfig } from './lib/env.mjs';
import { liveHeapCheck, parseMarkCompact } from './lib/gc-trace.mjs';
import { assertJsonRpc } from './lib/jsonrpc.mjs';
import { openLoop } from './lib/load.mjs';
import { machineInfo, writeResult } from './lib/machine.mjs';
import { growthCheck, sampleMemory } from './lib/memory.mjs';
import { freePort } from './lib/ports.mjs';
import { backgroundMeter, cpuMeter } from './lib/proc-stats.mjs';
import { fmt, table } from './lib/report.mjs';
import { startFlappingStub, startTurnpike } from './lib/servers.mjs';

const cfg = soakConfig();
const workers = cfg.workers || os.availableParallelism();
const MAX_ERROR_RATE = 0.001;
const MiB = 2 ** 20;
const log = (message) => process.stderr.write(`${message}\n`);

async function main() {
  const dir = await makeTempDir();
  // Twins running the same code (a faster nginx would starve the flapping one of traffic), and
  // the flapping one listed first, where a gateway that prefers a primary sends its load.
  const steady = await startFlappingStub({ port: await freePort(), flapSeconds: 0 });
  const flap = await startFlappingStub({ port: await freePort(), flapSeconds: cfg.flapSeconds });
  // Every full GC of every Turnpike process, for the live-heap check (see lib/gc-trace.mjs).
  const fullGcs = [];
  let soakStarted = null;
  const tp = await startTurnpike({
    dir,
    port: await freePort(),
    workers,
    upstreams: [flap.url, steady.url],
    nodeArgs: ['--trace-gc'],
    onLine: (line) => {
      const gc = soakStarted === null ? null : parseMarkCompact(line);
      if (gc) fullGcs.push({ ...gc, tSeconds: (Date.now() - soakStarted) / 1000 });
    },
  });
  await assertJsonRpc(tp.url, 'Turnpike');
  log(
    `soak: Turnpike ${workers} workers, ${cfg.rate} RPS open loop for ${cfg.minutes} min; ` +
      `one upstream flaps every ${cfg.flapSeconds}s (503, then connection resets)`,
  );

  const samples = [];
  let lastInterval = null;
  const started = Date.now();
  soakStarted = started;
  const sample = async () => {
    const memory = await sampleMemory(tp.child.pid, tp.metricsUrl);
    const flapState = await fetch(flap.statsUrl)
      .then((r) => r.json())
      .catch(() => null);
    const s = {
      tSeconds: (Date.now() - started) / 1000,
      ...memory,
      client: lastInterval,
      flapMode: flapState?.mode,
    };
    samples.push(s);
    log(
      `  t=${fmt(s.tSeconds).padStart(4)}s  rss ${fmt(s.rssBytes / MiB, 1)} MiB (${s.processes} procs)  ` +
        `heap ${s.heapUsedBytes === null ? '–' : fmt(s.heapUsedBytes / MiB, 1)} MiB  ` +
        `client ${fmt(lastInterval?.rps)} RPS p99 ${fmt(lastInterval?.p99Ms, 2)} ms errors ${fmt(lastInterval?.errors)}  ` +
        `flapping upstream: ${s.flapMode ?? '?'}`,
    );
  };
  // Offset by half a period so each sample sees the generator's latest complete interval.
  let sampler = null;
  const offset = setTimeout(
    () => {
      sampler = setInterval(
        () => sample().catch((err) => log(`sample failed: ${err.message}`)),
        cfg.sampleSeconds * 1000,
      );
    },
    (cfg.sampleSeconds * 1000) / 2,
  );

  const background = backgroundMeter(process.pid);
  const cpu = cpuMeter(tp.child.pid);
  let result;
  try {
    result = await openLoop(
      {
        url: tp.url,
        rate: cfg.rate,
        seconds: cfg.minutes * 60,
        warmupSeconds: cfg.warmupSeconds,
        connections: cfg.connections,
        intervalSeconds: cfg.sampleSeconds,
      },
      {
        onInterval: (record) => {
          lastInterval = record;
        },
      },
    );
  } finally {
    clearTimeout(offset);
    clearInterval(sampler);
  }
  const cpuUsPerRequest = (cpu() * 1e6) / (result.sent + Math.round(cfg.rate * cfg.warmupSeconds));
  const backgroundCores = background();
  await sample();
  const flapStats = await fetch(flap.statsUrl).then((r) => r.json());
  const steadyStats = await fetch(steady.statsUrl).then((r) => r.json());

  const runSeconds = (Date.now() - started) / 1000;
  const workerPids = [...new Set(fullGcs.map((gc) => gc.pid))].filter((pid) => pid !== tp.child.pid);
  const checks = [
    growthCheck(samples, 'rssBytes'),
    liveHeapCheck(fullGcs, { pids: workerPids, runSeconds }),
    { ...growthCheck(samples, 'heapUsedBytes'), informational: true },
    {
      field: 'client error rate',
      value: result.errorRate,
      status: result.errorRate <= MAX_ERROR_RATE ? 'PASS' : 'FAIL',
    },
  ];
  printReport({ result, checks, flapStats, steadyStats, cpuUsPerRequest, backgroundCores });
  const path = await writeResult('soak', {
    machine: machineInfo(),
    config: { ...cfg, workers },
    client: result,
    turnpikeCpuUsPerRequest: cpuUsPerRequest,
    backgroundCores,
    upstreams: { steady: steadyStats, flapping: flapStats },
    samples,
    fullGcs,
    checks,
  });
  console.log(`\nresults written to ${path}`);
  return 0;
}

const LIVE = 'live heap after full GCs';
const CHECK_NAMES = {
  rssBytes: 'RSS, all processes (/proc)',
  [LIVE]: 'live heap after full GCs, worst worker',
  heapUsedBytes: 'heap used when sampled, all workers',
};

function printReport({ result, checks, flapStats, steadyStats, cpuUsPerRequest, backgroundCores }) {
  const l = result.latencyMs;
  console.log(
    `\nSoak: ${fmt(result.sent)} requests offered at ${cfg.rate} RPS over ${cfg.minutes} min ` +
      `after ${cfg.warmupSeconds} s of warm-up (${fmt(result.errors.warmup)} errors during warm-up)`,
  );
  console.log(
    `client: ${fmt(result.ok)} ok, ${fmt(result.errors.total)} errors (${fmt(result.errorRate * 100, 3)} %) ` +
      `${JSON.stringify(result.errors.byKind)}; p50 ${fmt(l.p50, 3)} ms, p99 ${fmt(l.p99, 3)} ms, ` +
      `p99.9 ${fmt(l.p999, 3)} ms, max ${fmt(l.max, 1)} ms; generator ${result.valid ? 'valid' : `INVALID: ${result.invalid}`}`,
  );
  console.log(
    `upstreams: steady served ${fmt(steadyStats.ok)}; flapping served ${fmt(flapStats.ok)} ok, ` +
      `${fmt(flapStats.http503)} × 503, ${fmt(flapStats.resets)} resets over ${flapStats.phases} phases`,
  );
  // Even phases are the healthy ones: did the gateway take the upstream back each time?
  const upPhases = flapStats.okByPhase.filter((_, phase) => phase % 2 === 0);
  console.log(
    `flapping upstream, requests served in each healthy phase: ${upPhases
      .slice(0, 12)
      .map((n) => fmt(n))
      .join(', ')}` + `${upPhases.length > 12 ? ', … (all in the JSON file)' : ''}`,
  );
  console.log(
    `Turnpike CPU: ${fmt(cpuUsPerRequest, 1)} µs per request over the whole run; ` +
      `other processes on the machine: ${fmt(backgroundCores, 2)} cores on average`,
  );
  const rows = checks.map((c) =>
    c.field === 'client error rate'
      ? [c.field, '–', `${fmt(c.value * 100, 3)} %`, '–', `≤ ${MAX_ERROR_RATE * 100} %`, c.status]
      : [
          CHECK_NAMES[c.field],
          c.baseline === undefined ? '–' : `${fmt(c.baseline / (c.field === LIVE ? 1 : MiB), 1)} MiB`,
          c.end === undefined ? '–' : `${fmt(c.end / (c.field === LIVE ? 1 : MiB), 1)} MiB`,
          c.growth === undefined ? '–' : `${fmt(c.growth * 100, 1)} %`,
          c.informational ? '(info)' : '≤ +10 %',
          c.informational ? '–' : `${c.status}${c.note || c.reason ? ` (${c.note ?? c.reason})` : ''}`,
        ],
  );
  console.log(`\n${table(['check', 'minute 1', 'end', 'change', 'goal', 'result'], rows)}`);
}

runBenchmark(main);
