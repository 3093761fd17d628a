// `npm run bench:relayer`: the relayer sustained at a target rate of transfers against anvil.
// Turnpike (`turnpike start`, relayer on, SQLite or PostgreSQL, N signing keys) takes
// POST /v1/transfers open-model with unique Idempotency-Keys, sent by `turnpike bench`'s engine
// (lib/relayer-load.mjs); we measure accepted/s, confirmed/s, accept latency (the engine's
// corrected latency, from the intended send time) and accepted → confirmed latency, then audit
// the chain: every accepted transfer exactly once (lost = 0, duplicated = 0).
// Baseline in the same run, on the same anvil: the batch contract called directly with
// pre-signed transactions by the same keys (no Turnpike, no database), i.e. the chain's own
// capacity for the same work. See docs/benchmarks.md "Relayer".
//
//   npm run bench:relayer -- --duration 60s [--rate 2000] [--per-request 1,10] [--keys 16]
//     [--workers N] [--db sqlite|postgres] [--database-url postgres://…] [--recipients reused|unique]
//     [--block-time 1] [--gas-limit 300000000] [--warmup 5s] [--drain 60s] [--baseline 20s]
//     [--baseline-batch 250] [--poll-ms N] [--max-batch N] [--in-flight N] [--profile]
//
// With `--db postgres` it also prints the server's CPU per transfer from its process accounting
// (the gateway's backends and every postgres process) and each relayer table's row churn
// (updates and HOT updates): lib/pg-cpu.mjs.
//
// `--fairness [--small-rate 4]`: instead, two tenants (tenancy on): a small one's few transfers
// a second, alone and then while a large one floods at `--rate`; prints the small tenant's
// confirmation p99 under the flood against its idle p99 (goal ≤ 2 ×). See lib/relayer-fairness.mjs.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os, { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey } from 'viem/accounts';
import YAML from 'yaml';
import { rpc } from './lib/chain-payloads.mjs';
import { makeTempDir, runBenchmark, startChild, stopChild } from './lib/children.mjs';
import { keepProfiles, largestProfile, summarizeProfile } from './lib/cpu-profile.mjs';
import { machineInfo, writeResult } from './lib/machine.mjs';
import { pgCpuMeter, tableChurn } from './lib/pg-cpu.mjs';
import { freePort } from './lib/ports.mjs';
import { backgroundMeter, cpuMeter } from './lib/proc-stats.mjs';
import { scrape, sumMetric } from './lib/prom.mjs';
import {
  auditTransfers,
  blockNumber,
  blockStats,
  runDirectBaseline,
  startBenchAnvil,
  startIntervalMining,
} from './lib/relayer-chain.mjs';
import { printFairness, runFairness } from './lib/relayer-fairness.mjs';
import { openCount, openStoreReader, storeSummary, storeTimeline } from './lib/relayer-store.mjs';
import { amountOf, REUSED_RECIPIENTS, recipientOf, transferKey } from './lib/relayer-transfers.mjs';
import { fmt, table } from './lib/report.mjs';
import { REPO_ROOT, turnpikeMissing } from './lib/servers.mjs';

const LOAD = fileURLToPath(new URL('./lib/relayer-load.mjs', import.meta.url));
const TARGET_CONFIRMED_PER_S = 2_000;
const TARGET_ACCEPT_P99_MS = 20;
const AMOUNT = '1000';
const log = (message) => process.stderr.write(`${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function seconds(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text));
  if (!m) throw new Error(`not a duration: ${text} (e.g. 60s, 10m)`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 's'];
}

function parseArgs(argv) {
  const o = {
    duration: 600,
    rate: 2_000,
    perRequest: [1, 10],
    keys: 16,
    workers: os.availableParallelism(),
    db: 'sqlite',
    databaseUrl: process.env.TURNPIKE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    // Fresh recipients grow the token's storage, and anvil slows down by itself within minutes
    // (benchmarks/anvil-soak.mjs); reused ones measure the relayer, not anvil's state growth.
    recipients: 'reused',
    blockTime: 1,
    gasLimit: 300_000_000,
    warmup: 5,
    drain: 60,
    baseline: 20,
    baselineBatch: 250,
    ceilingFactor: 4,
    relayer: {},
    profile: false,
    connections: 64,
    fairness: false,
    smallRate: 4,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--duration') o.duration = seconds(value());
    else if (flag === '--rate') o.rate = Number(value());
    else if (flag === '--per-request') o.perRequest = value().split(',').map(Number);
    else if (flag === '--keys') o.keys = Number(value());
    else if (flag === '--workers') o.workers = Number(value());
    else if (flag === '--db') o.db = value();
    else if (flag === '--database-url') o.databaseUrl = value();
    else if (flag === '--recipients') o.recipients = value();
    else if (flag === '--block-time') o.blockTime = Number(value());
    else if (flag === '--gas-limit') o.gasLimit = Number(value());
    else if (flag === '--warmup') o.warmup = seconds(value());
    else if (flag === '--drain') o.drain = seconds(value());
    else if (flag === '--baseline') o.baseline = seconds(value());
    else if (flag === '--baseline-batch') o.baselineBatch = Number(value());
    else if (flag === '--ceiling-factor') o.ceilingFactor = Number(value());
    else if (flag === '--poll-ms') o.relayer.pollMs = Number(value());
    else if (flag === '--max-batch') o.relayer.maxBatchSize = Number(value());
    else if (flag === '--in-flight') o.relayer.maxInFlightPerKey = Number(value());
    else if (flag === '--connections') o.connections = Number(value());
    else if (flag === '--profile') o.profile = true;
    else if (flag === '--fairness') o.fairness = true;
    else if (flag === '--small-rate') o.smallRate = Number(value());
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!['sqlite', 'postgres'].includes(o.db)) throw new Error('--db: sqlite or postgres');
  if (!['unique', 'reused'].includes(o.recipients)) throw new Error('--recipients: unique or reused');
  return o;
}

/** What else runs on the machine now (the brief: measure when it is quiet, and say so). */
function machineLoad() {
  let top = '';
  try {
    top = execFileSync('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu'], { encoding: 'utf8' })
      .split('\n')
      .slice(1, 6)
      .map((l) => l.trim())
      .join('; ');
  } catch {}
  return { loadavg: loadavg().map((v) => Number(v.toFixed(2))), top };
}

async function startRelayerGateway({ dir, o, chain, keysEnv, phase, extra = {} }) {
  const port = await freePort();
  let storage;
  let reader;
  if (o.db === 'sqlite') {
    storage = { database: join(dir, `relayer-${phase}.db`) };
    reader = { dialect: 'sqlite', database: storage.database };
  } else {
    const schema = `bench_relayer_${phase}_${randomBytes(3).toString('hex')}`;
    // The gateway's backends carry the schema as their application_name (pg-cpu.mjs finds them).
    const separator = o.databaseUrl.includes('?') ? '&' : '?';
    storage = { database: `${o.databaseUrl}${separator}application_name=${schema}`, schema };
    reader = { dialect: 'postgres', database: o.databaseUrl, schema };
  }
  const config = {
    server: { host: '127.0.0.1', port, workers: o.workers },
    logging: { level: 'warn' },
    storage,
    networks: { anvil: { upstreams: [{ id: 'anvil', url: chain.url }] } },
    relayer: {
      enabled: true,
      network: 'anvil',
      batchContract: chain.contracts.batchContract,
      tokens: { DEMO: chain.contracts.token },
      defaultToken: 'DEMO',
      keys: { env: keysEnv },
      ...o.relayer,
    },
    ...extra,
  };
  const path = join(dir, `turnpike-${phase}.yaml`);
  writeFileSync(path, YAML.stringify(config));
  const profileDir = o.profile ? await makeTempDir('turnpike-relayer-prof-') : null;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = await startChild(
    `turnpike (${o.workers} workers)`,
    process.execPath,
    [...nodeArgs, join(REPO_ROOT, 'bin/turnpike.js'), 'start', '--config', path],
    {
      ready: /ready (http:\/\/\S+)/,
      cwd: REPO_ROOT,
      timeoutMs: 60_000,
      env: { [keysEnv]: chain.keys.join(',') },
    },
  );
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${origin}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    await sleep(100);
  }
  return { child, origin, config, reader, profileDir };
}

/** Runs the load child (turnpike bench's engine); `onInterval` gets its per-second records. */
async function runLoad(options, onInterval) {
  let result = null;
  const child = await startChild('relayer-load', process.execPath, [LOAD, JSON.stringify(options)], {
    onLine(line) {
      if (!line.startsWith('{')) return;
      const record = JSON.parse(line);
      if (record.type === 'interval') onInterval(record);
      if (record.type === 'result') result = record;
    },
  });
  const code = await child.exit;
  if (code !== 0 || !result)
    throw new Error(`relayer load generator failed (${code}):\n${child.tail.join('\n')}`);
  return result;
}

async function readCounters(origin) {
  const text = await scrape(`${origin}/metrics`);
  if (text === null) return null;
  return {
    accepted: sumMetric(text, 'turnpike_relayer_accepted_transfers_total') ?? 0,
    confirmed: sumMetric(text, 'turnpike_relayer_confirmed_transfers_total') ?? 0,
    failed: sumMetric(text, 'turnpike_relayer_failed_transfers_total') ?? 0,
    batches: sumMetric(text, 'turnpike_relayer_batches_total') ?? 0,
    commits: sumMetric(text, 'turnpike_relayer_intake_commits_total') ?? 0,
    inFlight: sumMetric(text, 'turnpike_relayer_key_inflight') ?? 0,
    bisections: sumMetric(text, 'turnpike_relayer_bisections_total') ?? 0,
    nonceGaps: sumMetric(text, 'turnpike_relayer_nonce_gaps_total') ?? 0,
  };
}

async function runPhase({ dir, o, chain, keysEnv, perRequest }) {
  const phase = `x${perRequest}`;
  const tag = randomBytes(4).toString('hex');
  const gateway = await startRelayerGateway({ dir, o, chain, keysEnv, phase });
  const firstBlock = (await blockNumber(chain.url)) + 1;
  const requestRate = o.rate / perRequest;
  const statusFile = join(dir, `status-${phase}.bin`);
  log(
    `\n[${phase}] Turnpike ${o.workers} workers, ${o.keys} keys, ${o.db}; ${fmt(o.rate)} transfers/s = ` +
      `${fmt(requestRate)} requests/s × ${perRequest}, ${o.warmup}s warm-up + ${o.duration}s, recipients ${o.recipients}`,
  );

  // Each second: CPU of gateway and anvil (from /proc) and the client's last interval. Never
  // /metrics: its transfers-by-state gauge counts the whole table on every scrape (see the
  // docs), which would charge our sampling to the gateway. Every 5 s, the open count straight
  // from the store (an index range) for the progress line; the time series is read at the end.
  const samples = [];
  const gatewayCpu = cpuMeter(gateway.child.pid);
  const anvilCpu = cpuMeter(chain.child.pid);
  const background = backgroundMeter(process.pid);
  const live = await openStoreReader(gateway.reader);
  // PostgreSQL: the server's own CPU over the whole phase (warm-up, window and drain).
  const pgCpu = o.db === 'postgres' ? await pgCpuMeter(live, gateway.reader.schema) : null;
  let last = { t: Date.now(), gw: 0, anvil: 0 };
  let lastClient = null;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(1000);
      const now = Date.now();
      const gw = gatewayCpu();
      const an = anvilCpu();
      const dt = (now - last.t) / 1000;
      const s = {
        t: now,
        gatewayCores: (gw - last.gw) / dt,
        anvilCores: (an - last.anvil) / dt,
        client: lastClient,
      };
      last = { t: now, gw, anvil: an };
      samples.push(s);
      await pgCpu?.poll().catch(() => {});
      if (samples.length % 5 === 0) {
        s.open = await openCount(live).catch(() => null);
        s.txpool = await rpc(chain.url, 'txpool_status').catch(() => null);
        s.block = await blockNumber(chain.url).catch(() => null);
        log(
          `  [${phase}] ${samples.length}s open ${fmt(s.open)} | accepted ${fmt(lastClient?.acceptedRps)} req/s, p99 ` +
            `${fmt(lastClient?.p99Ms, 1)} ms, errors ${fmt(lastClient?.errors)} | cpu gateway ${fmt(s.gatewayCores, 2)} ` +
            `anvil ${fmt(s.anvilCores, 2)} | block ${s.block} txpool ${Number.parseInt(s.txpool?.pending ?? '0x0', 16)} pending ` +
            `${Number.parseInt(s.txpool?.queued ?? '0x0', 16)} queued`,
        );
      }
    }
  })();

  const client = await runLoad(
    {
      origin: gateway.origin,
      rate: requestRate,
      seconds: o.duration,
      warmupSeconds: o.warmup,
      perRequest,
      recipients: o.recipients,
      tag,
      amount: AMOUNT,
      connections: o.connections,
      statusFile,
    },
    (record) => {
      lastClient = record;
    },
  );
  const loadEnd = Date.now();
  const window = {
    from: Math.round(client.measureStartEpochMs),
    to: Math.round(client.measureStartEpochMs + o.duration * 1000),
  };
  const windowCpu = cpuInWindow(samples, window);
  log(
    `  [${phase}] load done: ${fmt(client.acceptedRequests)} requests accepted (200/202); draining (≤ ${o.drain}s)`,
  );
  // Drain: until every stored transfer is confirmed or failed, or the deadline.
  const drainDeadline = Date.now() + o.drain * 1000;
  let drained = false;
  while (Date.now() < drainDeadline) {
    if ((await openCount(live)) === 0) {
      drained = true;
      break;
    }
    await sleep(500);
  }
  const drainSeconds = (Date.now() - loadEnd) / 1000;
  sampling = false;
  await sampler;
  const backgroundCores = background();
  const postgres = pgCpu === null ? null : { cpu: await pgCpu.stop(), churn: await tableChurn(live) };

  const counters = await readCounters(gateway.origin);
  const store = await storeSummary(live, window);
  const timeline = await storeTimeline(live, {
    from: Math.round(client.t0EpochMs),
    seconds: Math.ceil(o.warmup + o.duration + drainSeconds) + 1,
  });
  await live.close();
  const lastBlock = await blockNumber(chain.url);

  // What the client was told, by sequence number (1 = accepted): transfer key → accepted count.
  const status = readFileSync(statusFile);
  const expected = new Map();
  let acceptedTransfers = 0;
  for (let i = 0; i < status.length; i++) {
    if (status[i] !== 1) continue;
    for (let j = 0; j < perRequest; j++) {
      const n = i * perRequest + j;
      const key = transferKey(recipientOf(tag, n, o.recipients), amountOf(n, AMOUNT, o.recipients));
      expected.set(key, (expected.get(key) ?? 0) + 1);
      acceptedTransfers++;
    }
  }
  const audit = await auditTransfers({
    url: chain.url,
    token: chain.contracts.token,
    from: firstBlock,
    to: lastBlock,
    tag,
    expected,
  });
  const blocks = await blockStats(chain.url, firstBlock, lastBlock);

  await stopChild(gateway.child, 15_000);
  let profile = null;
  if (gateway.profileDir) {
    const path = await largestProfile(gateway.profileDir);
    if (path) profile = await summarizeProfile(path, { top: 20 });
    // The summary is lossy; keep every process's profile (primary, HTTP workers, engine worker)
    // beside the results for a closer look.
    if (path) profile.paths = await keepProfiles(gateway.profileDir, tag);
  }
  if (o.db === 'postgres') {
    const admin = await openStoreReader({ ...gateway.reader, schema: 'public' });
    await admin.query(`DROP SCHEMA IF EXISTS ${gateway.reader.schema} CASCADE`);
    await admin.close();
  }

  const windowSeconds = o.duration;
  return {
    phase,
    perRequest,
    tag,
    requestRate,
    client,
    acceptedPerSecond: client.acceptedRps * perRequest,
    confirmedPerSecond: store.confirmedInWindow / windowSeconds,
    acceptedInWindowPerSecond: store.acceptedInWindow / windowSeconds,
    store,
    acceptedTransfers,
    // Accepted (200/202 to the client) and neither confirmed, failed nor open in the store.
    lost: acceptedTransfers - Math.min(acceptedTransfers, store.total),
    audit,
    drained,
    drainSeconds,
    blocks,
    windowCpu,
    backgroundCores,
    samples,
    timeline,
    counters,
    profile,
    postgres,
  };
}

/** Mean cores of gateway and anvil over the samples inside the window. */
function cpuInWindow(samples, { from, to }) {
  const inside = samples.filter((s) => s.t > from && s.t <= to);
  const mean = (k) => inside.reduce((a, s) => a + s[k], 0) / (inside.length || 1);
  return { gatewayCores: mean('gatewayCores'), anvilCores: mean('anvilCores'), samples: inside.length };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const missing = turnpikeMissing();
  if (missing) throw new Error(missing);
  const before = machineLoad();
  log(`machine load before: loadavg ${before.loadavg.join(' ')}; top: ${before.top}`);
  const dir = await makeTempDir('turnpike-relayer-bench-');
  const { deployDemoContracts } = await import('turnpike/dev');

  // Every phase and baseline gets its own anvil, keys and contracts: a phase that ends with
  // transactions still pending would otherwise hold the next one's nonces behind them.
  const freshChain = async () => {
    const anvil = await startBenchAnvil({ gasLimit: o.gasLimit });
    const keys = Array.from({ length: o.keys }, () => generatePrivateKey());
    const contracts = await deployDemoContracts({
      rpcUrl: anvil.url,
      signerKeys: keys,
      mintPerSigner: 10n ** 30n,
    });
    await startIntervalMining(anvil.url, o.blockTime);
    return { ...anvil, keys, contracts };
  };
  const withChain = async (run) => {
    const chain = await freshChain();
    try {
      return await run(chain);
    } finally {
      await stopChild(chain.child);
    }
  };
  const anvilSettings = `anvil --gas-limit ${o.gasLimit} (a fresh node per phase), interval mining ${o.blockTime}s after deploy (${fmt(
    o.gasLimit / o.blockTime / 1e6,
  )}M gas/s ≈ ${fmt(o.gasLimit / o.blockTime / 27_000)} transfers/s at ~27k gas each)`;
  log(anvilSettings);

  const keysEnv = 'TURNPIKE_BENCH_RELAYER_KEYS';
  if (o.fairness) return fairnessMode({ dir, o, keysEnv, withChain, before });
  const phases = [];
  for (const perRequest of o.perRequest)
    phases.push(await withChain((chain) => runPhase({ dir, o, chain, keysEnv, perRequest })));
  // Two baselines, no Turnpike: the batch contract at the same offered rate (what the chain
  // alone does with this load), and flooded at `--ceiling-factor` × the rate (its capacity).
  const baselines = {};
  if (o.baseline > 0) {
    baselines.sameRate = await withChain((chain) => baselineRun(chain, o, o.rate, o.baseline));
    baselines.ceiling = await withChain((chain) =>
      baselineRun(chain, o, o.rate * o.ceilingFactor, Math.min(o.baseline, 10)),
    );
  }

  const after = machineLoad();

  printReport({ o, anvilSettings, baselines, phases, before, after });
  const path = await writeResult('relayer', {
    machine: machineInfo({ loadBefore: before, loadAfter: after }),
    options: o,
    anvil: anvilSettings,
    baselines,
    phases,
  });
  console.log(`\nresults written to ${path}`);
  return phases.every((p) => checksOf(p).every((c) => c.status === 'PASS')) ? 0 : 1;
}

async function fairnessMode({ dir, o, keysEnv, withChain, before }) {
  const result = await withChain((chain) =>
    runFairness({
      o,
      log,
      runLoad: (options) => runLoad(options, () => {}),
      startGateway: async (extra) => {
        const gateway = await startRelayerGateway({ dir, o, chain, keysEnv, phase: 'fair', extra });
        const stop = async () => {
          await stopChild(gateway.child, 15_000);
          if (o.db !== 'postgres') return;
          const admin = await openStoreReader({ ...gateway.reader, schema: 'public' });
          await admin.query(`DROP SCHEMA IF EXISTS ${gateway.reader.schema} CASCADE`);
          await admin.close();
        };
        return { ...gateway, stop };
      },
    }),
  );
  const after = machineLoad();
  console.log(`load: before ${before.loadavg.join(' ')}, after ${after.loadavg.join(' ')}`);
  const pass = printFairness(o, result);
  const path = await writeResult('relayer-fairness', {
    machine: machineInfo({ loadBefore: before, loadAfter: after }),
    options: o,
    fairness: result,
  });
  console.log(`\nresults written to ${path}`);
  return pass ? 0 : 1;
}

async function baselineRun(chain, o, rate, seconds) {
  log(
    `baseline: transferBatch × ${o.baselineBatch} pre-signed, direct to anvil, ${fmt(rate)} transfers/s for ${seconds}s`,
  );
  const anvilCpu = cpuMeter(chain.child.pid);
  const started = Date.now();
  const result = await runDirectBaseline({
    url: chain.url,
    keys: chain.keys,
    token: chain.contracts.token,
    batchContract: chain.contracts.batchContract,
    rate,
    seconds,
    batchSize: o.baselineBatch,
    blockTime: o.blockTime,
    recipients: o.recipients,
    tag: randomBytes(4).toString('hex'),
  });
  result.anvilCores = anvilCpu() / ((Date.now() - started) / 1000);
  log(
    `  ${fmt(result.confirmedPerSecond)} transfers/s mined, inclusion p50 ${fmt(result.inclusionMs.p50)} ms ` +
      `p99 ${fmt(result.inclusionMs.p99)} ms, anvil ${fmt(result.anvilCores, 2)} cores, ${result.reverted} reverted, ` +
      `${result.rejected} refused`,
  );
  await sleep(2 * o.blockTime * 1000);
  return result;
}

function checksOf(p) {
  const valid = p.client.valid;
  const mark = (ok) => (valid ? (ok ? 'PASS' : 'FAIL') : 'INVALID');
  return [
    {
      name: `confirmed/s ≥ ${fmt(TARGET_CONFIRMED_PER_S)}`,
      value: fmt(p.confirmedPerSecond),
      status: mark(p.confirmedPerSecond >= TARGET_CONFIRMED_PER_S),
    },
    {
      name: `accept p99 ≤ ${TARGET_ACCEPT_P99_MS} ms`,
      value: `${fmt(p.client.latencyMs.p99, 1)} ms`,
      status: mark(p.client.latencyMs.p99 <= TARGET_ACCEPT_P99_MS),
    },
    { name: 'lost = 0 (store)', value: fmt(p.lost), status: p.lost === 0 ? 'PASS' : 'FAIL' },
    {
      name: 'lost = 0 (chain, after drain)',
      value: `${fmt(p.audit.missing)} missing, ${fmt(p.store.open)} still open`,
      status: p.audit.missing - p.store.open - (p.store.byState.failed ?? 0) <= 0 ? 'PASS' : 'FAIL',
    },
    {
      name: 'duplicated = 0 (chain)',
      value: fmt(p.audit.duplicated),
      status: p.audit.duplicated === 0 ? 'PASS' : 'FAIL',
    },
    { name: 'amount delta = 0 (chain)', value: p.audit.amountDelta, status: 'INFO' },
  ];
}

function printReport({ o, anvilSettings, baselines, phases, before, after }) {
  const baseline = baselines.sameRate;
  console.log(`\n== bench:relayer  ${new Date().toISOString()} ==`);
  const m = machineInfo();
  console.log(`machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}`);
  console.log(`load: before ${before.loadavg.join(' ')}, after ${after.loadavg.join(' ')}`);
  console.log(anvilSettings);
  console.log(
    `Turnpike: ${o.workers} workers, ${o.keys} keys, ${o.db}, relayer ${JSON.stringify(o.relayer)} (else defaults); ` +
      `recipients ${o.recipients === 'unique' ? 'unique (fresh addresses: the dearest SSTORE)' : `reused (${REUSED_RECIPIENTS} addresses in turn)`}; amount ${AMOUNT}${o.recipients === 'reused' ? ' + round' : ''}`,
  );
  for (const [name, b] of Object.entries(baselines))
    console.log(
      `baseline ${name} (direct transferBatch × ${b.batchSize}, pre-signed, no Turnpike): offered ${fmt(b.rate)}/s for ` +
        `${b.seconds}s, mined ${fmt(b.confirmedPerSecond)} transfers/s, inclusion p50 ${fmt(b.inclusionMs.p50)} ms p99 ` +
        `${fmt(b.inclusionMs.p99)} ms, anvil ${fmt(b.anvilCores, 2)} cores, fullest block ` +
        `${fmt(100 * b.blocks.fullestShare, 1)} % of the gas limit, ${b.reverted} reverted, ${b.rejected} refused`,
    );
  const rows = phases.map((p) => [
    `${p.perRequest}/request`,
    fmt(p.requestRate),
    fmt(p.acceptedPerSecond),
    fmt(p.confirmedPerSecond),
    baseline ? `${fmt(p.confirmedPerSecond / baseline.confirmedPerSecond, 2)}×` : '–',
    baselines.ceiling ? `${fmt(p.confirmedPerSecond / baselines.ceiling.confirmedPerSecond, 2)}×` : '–',
    baseline ? `${fmt(p.store.confirmationMs.p50 / baseline.inclusionMs.p50, 1)}×` : '–',
    `${fmt(p.client.latencyMs.p50, 1)} / ${fmt(p.client.latencyMs.p99, 1)}`,
    `${fmt(p.store.confirmationMs.p50)} / ${fmt(p.store.confirmationMs.p99)}`,
    fmt(p.client.errors.total),
    fmt(p.store.batches.meanSize, 1),
    `${fmt(p.windowCpu.gatewayCores, 2)} / ${fmt(p.windowCpu.anvilCores, 2)}`,
    fmt(p.backgroundCores, 2),
  ]);
  console.log(
    `\n${table(
      [
        'transfers',
        'req/s',
        'accepted/s',
        'confirmed/s',
        'vs direct',
        'vs ceiling',
        'confirm p50 vs direct',
        'accept p50/p99 ms',
        'confirm p50/p99 ms',
        'errors',
        'batch',
        'cpu gw/anvil',
        'other cpu',
      ],
      rows,
    )}`,
  );
  for (const p of phases) {
    console.log(
      `\n[${p.phase}] client: ${fmt(p.client.acceptedRequests)} requests accepted (${fmt(p.acceptedTransfers)} transfers), ` +
        `errors ${JSON.stringify(p.client.errors.byKind)}; service p99 ${fmt(p.client.serviceTimeMs.p99, 1)} ms; ` +
        `schedule lag p99 ${fmt(p.client.sendLagMs.p99, 2)} ms, dispatch lag p99 ${fmt(p.client.dispatchLagMs.p99, 2)} ms; ` +
        `generator self-check ${p.client.valid ? 'valid' : `INVALID (${p.client.invalid.join('; ')})`}`,
    );
    console.log(`[${p.phase}] verdict: ${p.client.verdict.bottleneck}: ${p.client.verdict.summary}`);
    console.log(
      `[${p.phase}] store: ${JSON.stringify(p.store.byState)}; ${fmt(p.store.batches.count)} batches, mean ` +
        `${fmt(p.store.batches.meanSize, 1)} max ${fmt(p.store.batches.maxSize)}; drained ${p.drained} in ${fmt(p.drainSeconds, 1)} s`,
    );
    console.log(
      `[${p.phase}] chain: ${fmt(p.audit.logs)} Transfer logs to ${fmt(p.audit.distinctRecipients)} recipients, missing ` +
        `${fmt(p.audit.missing)}, duplicated ${fmt(p.audit.duplicated)}, unacknowledged ${fmt(p.audit.unacknowledged)}, ` +
        `amount delta ${p.audit.amountDelta}; ${fmt(p.blocks.count)} blocks, ${fmt(p.blocks.txs)} txs, mean gas ` +
        `${fmt(p.blocks.gasUsedMean / 1e6, 1)}M, fullest ${fmt(100 * p.blocks.fullestShare, 1)} % of the limit`,
    );
    if (p.postgres) {
      const { cpu, churn } = p.postgres;
      const perTransfer = (seconds) => fmt((seconds * 1e6) / Math.max(1, p.store.total), 1);
      console.log(
        `[${p.phase}] PostgreSQL CPU (warm-up + window + drain, ${fmt(p.store.total)} transfers): gateway's ` +
          `${cpu.backendCount} backends ${fmt(cpu.backends, 1)} s = ${perTransfer(cpu.backends)} µs/transfer; all ` +
          `postgres processes ${fmt(cpu.server, 1)} s = ${perTransfer(cpu.server)} µs/transfer (includes other ` +
          `users of this server)`,
      );
      console.log(
        `[${p.phase}] PostgreSQL rows: ${churn.map((t) => `${t.table} ${JSON.stringify(t.counts)}`).join('; ')}`,
      );
    }
    if (p.counters)
      console.log(
        `[${p.phase}] metrics: ${fmt(p.counters.commits)} intake commits (${fmt(p.counters.accepted / p.counters.commits, 1)} ` +
          `transfers each), ${fmt(p.counters.batches)} batches, ${fmt(p.counters.bisections)} bisections, ` +
          `${fmt(p.counters.nonceGaps)} nonce gaps`,
      );
    const every = Math.max(1, Math.round(p.timeline.length / 16));
    const rows = [];
    for (let i = 0; i < p.timeline.length; i += every) {
      const slice = p.timeline.slice(i, i + every);
      const sum = (k) => slice.reduce((a, r) => a + r[k], 0) / slice.length;
      rows.push([
        `${i}-${i + slice.length}s`,
        fmt(sum('accepted')),
        fmt(sum('confirmed')),
        fmt(slice.at(-1).open),
      ]);
    }
    console.log(`[${p.phase}] store time series (t = 0 at the first request, warm-up included):`);
    console.log(table(['t', 'accepted/s', 'confirmed/s', 'open at end'], rows));
    if (p.profile) {
      console.log(
        `[${p.phase}] gateway CPU profile (busiest worker, ${fmt(p.profile.busyMs)} ms busy), by area:`,
      );
      for (const a of p.profile.areas.slice(0, 12))
        console.log(`    ${fmt(100 * a.share, 1).padStart(5)} %  ${a.name}`);
      console.log('  Turnpike functions, inclusive:');
      for (const a of p.profile.inclusive.slice(0, 15))
        console.log(`    ${fmt(100 * a.share, 1).padStart(5)} %  ${a.name}`);
    }
    console.log(
      table(
        ['check', 'measured', 'result'],
        checksOf(p).map((c) => [c.name, c.value, c.status]),
      ),
    );
  }
}

runBenchmark(main);
