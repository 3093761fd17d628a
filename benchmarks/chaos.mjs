// `npm run chaos`: a fleet on loopback under steady load, one scripted fault at a time.
// 3 `turnpike start` instances (tenancy in a throwaway PostgreSQL, rate limits in a throwaway
// Redis, relayer on) behind nginx, 3 upstream listeners in front of one anvil; JSON-RPC and
// transfers open-model through `turnpike bench`'s engine. Per phase: client error %, p99,
// recovery time, transfers lost/duplicated (audited on chain), metered usage vs requests
// served, and whether a limited key stayed within its limit. See docs/reliability.md.
//
//   npm run build && npm run chaos -- [--quick] [--phases baseline,gateway-kill,…]
//     [--phase-seconds 30] [--before-seconds 10] [--after-seconds 30] [--rpc-rate 2000]
//     [--transfer-rate 300] [--limit 20] [--workers 1] [--drain-seconds 90] [--json out.json]
//     [--rate-limit-failure open|closed|local] [--rate-limit-timeout-ms 250] [--nginx-retry on|off]
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { FAULTS, healPartitions, PHASES } from './chaos/faults.mjs';
import { relayerWorkerPid, startFleet } from './chaos/fleet.mjs';
import { startMemorySampler } from './chaos/memory.mjs';
import { runPhase } from './chaos/phase.mjs';
import { printSummary, summarize } from './chaos/summary.mjs';
import { readUsageByKey } from './chaos/tenancy.mjs';
import { makeTempDir, runBenchmark, stopChild } from './lib/children.mjs';
import { REPO_ROOT, turnpikeMissing } from './lib/servers.mjs';

const log = (message) => process.stderr.write(`${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const o = {
    quick,
    phases: PHASES,
    beforeSeconds: quick ? 3 : 10,
    faultSeconds: quick ? 5 : 30,
    afterSeconds: quick ? 8 : 30,
    rpcRate: quick ? 40 : 2_000,
    transferRate: quick ? 4 : 300,
    limitPerSecond: quick ? 5 : 20,
    instances: 3,
    workers: 1,
    relayerKeys: 6,
    drainSeconds: quick ? 30 : 90,
    requestTimeoutMs: 10_000,
    json: null,
    // Turnpike's default; `closed` shows the other side of the Redis-down trade-off.
    rateLimitFailure: 'open',
    rateLimitTimeoutMs: 250,
    // nginx re-sends a request whose instance died, POST included (fleet.mjs, nginxRetry).
    nginxRetry: 'on',
    // Memory of every instance sampled this often (seconds) for the whole run.
    memoryEvery: 10,
  };
  const flags = {
    '--phases': (v) => (o.phases = v.split(',')),
    '--phase-seconds': (v) => (o.faultSeconds = Number(v)),
    '--before-seconds': (v) => (o.beforeSeconds = Number(v)),
    '--after-seconds': (v) => (o.afterSeconds = Number(v)),
    '--rpc-rate': (v) => (o.rpcRate = Number(v)),
    '--transfer-rate': (v) => (o.transferRate = Number(v)),
    '--limit': (v) => (o.limitPerSecond = Number(v)),
    '--workers': (v) => (o.workers = Number(v)),
    '--drain-seconds': (v) => (o.drainSeconds = Number(v)),
    '--json': (v) => (o.json = v),
    '--rate-limit-failure': (v) => (o.rateLimitFailure = v),
    '--rate-limit-timeout-ms': (v) => (o.rateLimitTimeoutMs = Number(v)),
    '--nginx-retry': (v) => (o.nginxRetry = v),
    '--memory-every': (v) => (o.memoryEvery = Number(v)),
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') continue;
    const set = flags[argv[i]];
    if (set === undefined || argv[i + 1] === undefined)
      throw new Error(`unknown flag or missing value: ${argv[i]}`);
    set(argv[++i]);
  }
  if (!['open', 'closed', 'local'].includes(o.rateLimitFailure))
    throw new Error('--rate-limit-failure: open, closed or local');
  if (!['on', 'off'].includes(o.nginxRetry)) throw new Error('--nginx-retry: on or off');
  for (const phase of o.phases)
    if (!FAULTS[phase]) throw new Error(`unknown phase ${phase} (${PHASES.join(', ')})`);
  for (const [name, value] of Object.entries(o))
    if (typeof value === 'number' && !(value > 0)) throw new Error(`--${name}: expected a positive number`);
  return o;
}

/** Waits until every instance is ready (and has its relayer worker) and the services answer. */
async function waitHealthy(fleet, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await Promise.all(
      fleet.gateways.map(async (g) => {
        const ok = await fetch(`${g.origin}/readyz`, { signal: AbortSignal.timeout(2_000) })
          .then((r) => r.ok)
          .catch(() => false);
        return ok && (await relayerWorkerPid(g)) !== null;
      }),
    );
    if (ready.every(Boolean)) return;
    if (Date.now() > deadline)
      throw new Error(`fleet not healthy within ${timeoutMs} ms: ${ready.join(',')}`);
    await sleep(500);
  }
}

const mib = (bytes) => (typeof bytes === 'number' ? (bytes / 2 ** 20).toFixed(1) : '—');

/** Rejects after `ms`: every phase is bounded. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const missing = turnpikeMissing();
  if (missing) throw new Error(missing);
  const loadBefore = loadavg().map((v) => Number(v.toFixed(2)));
  log(
    `chaos: ${o.phases.join(', ')}; load average ${loadBefore.join(' ')} on ${availableParallelism()} cores`,
  );
  const dir = await makeTempDir('turnpike-chaos-');
  const fleet = await startFleet({ dir, options: o, log });
  const phases = [];
  const memory = startMemorySampler(fleet, o.memoryEvery);
  let memoryReport = [];
  try {
    for (const name of o.phases) {
      await waitHealthy(fleet, 120_000);
      log(`phase ${name}…`);
      const seconds = o.beforeSeconds + o.faultSeconds + o.afterSeconds;
      const fault = FAULTS[name](fleet, { dir, options: o, log });
      await fault.setup?.();
      const phase = await within(
        (seconds + o.drainSeconds + 180) * 1000,
        name,
        runPhase({ fleet, name, fault, options: o, dir, log }),
      );
      // A phase on an instance of its own reads that instance's meter.
      if (fault.teardown) phase.usage = await fault.teardown();
      phases.push(phase);
    }
  } finally {
    healPartitions();
    memoryReport = await memory.stop();
  }
  // A graceful stop writes every instance's last usage, so the meter can be compared in full.
  log('stopping the instances (SIGTERM: drain and final usage flush)…');
  await Promise.all(fleet.gateways.map((g) => g.child && stopChild(g.child, 20_000)));
  const usage = await readUsageByKey(fleet.postgres.url);
  const loadAfter = loadavg().map((v) => Number(v.toFixed(2)));
  const result = summarize({ options: o, fleet, phases, usage, loadBefore, loadAfter });
  result.memory = memoryReport;
  printSummary(result);
  for (const m of memoryReport)
    log(
      `memory gateway-${m.instance}: rss ${mib(m.rss.baseline)} → ${mib(m.rss.end)} MiB (${m.rss.status}), ` +
        `heap ${mib(m.heap.baseline)} → ${mib(m.heap.end)} MiB (${m.heap.status}), ${m.samples} samples`,
    );
  const results = `${REPO_ROOT}benchmarks/results`;
  await mkdir(results, { recursive: true });
  const path = o.json ?? `${results}/chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${path}`);
  return result.phases.every((p) => p.transfers.lost === 0 && p.transfers.duplicated === 0) ? 0 : 1;
}

runBenchmark(main);
