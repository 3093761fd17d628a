// `npm run bench:proxy`: what does Turnpike cost compared with calling the upstream directly,
// with nginx as a proxy, and with the naive Express proxy? Everything is measured in one run on
// this machine, so the ratios hold even though absolute figures drift. And what does tenancy
// (API keys from SQLite, plan checks, credits, rate limit, usage metering) cost on top of it?
// See docs/benchmarks.md.
import os from 'node:os';
import { makeTempDir, runBenchmark, stopChild } from './lib/children.mjs';
import { proxyBenchConfig } from './lib/env.mjs';
import { assertJsonRpc, REQUEST_BODY } from './lib/jsonrpc.mjs';
import { machineInfo, nodeSpeedProbe, writeResult } from './lib/machine.mjs';
import {
  MAX_BACKGROUND_CORES,
  measureClosedLoop,
  measureOpenLoop,
  undisturbed,
  waitForQuiet,
} from './lib/measure.mjs';
import { NGINX, nginxVersion, startNginxProxy, startNginxStub } from './lib/nginx.mjs';
import { freePort } from './lib/ports.mjs';
import {
  checksTable,
  closedLoopTable,
  evaluateTargets,
  floorTable,
  fmt,
  openLoopTable,
  roundFigures,
  table,
  tenancyTable,
} from './lib/report.mjs';
import { summarizeClosed, summarizeOpen } from './lib/rounds.mjs';
import { startExpressProxy, startNodeUndiciProxy, startTurnpike } from './lib/servers.mjs';
import {
  BENCH_CREDITS,
  BENCH_RATE,
  newTally,
  readUsage,
  sampleServerTiming,
  seedTenancy,
  tallyTotal,
} from './lib/tenancy.mjs';
import { ensureTools } from './lib/tools.mjs';
import { writeWrkScript, wrkVersion } from './lib/wrk.mjs';

const cfg = proxyBenchConfig();
const allWorkers = cfg.turnpikeWorkers || os.availableParallelism();

/**
 * The targets; `open` ones also get the fixed-rate open-loop run. `tenancyOf` names the
 * tenancy-off twin of a tenancy-on target: the pair is compared round by round.
 */
const TARGETS = {
  direct: { label: 'direct stub (nginx return 200)', open: true },
  nginx: { label: 'nginx keep-alive proxy (2 workers)', open: true },
  express: { label: 'Express + fetch (1 process)', open: false },
  floor: { label: `node:http + undici pass-through (${allWorkers} processes)`, open: true },
  'turnpike-1': { label: 'Turnpike, 1 worker', open: false },
  'turnpike-1-tenancy': { label: 'Turnpike, 1 worker, tenancy on', open: false, tenancyOf: 'turnpike-1' },
  'turnpike-all': { label: `Turnpike, ${allWorkers} workers`, open: true },
  'turnpike-all-tenancy': {
    label: `Turnpike, ${allWorkers} workers, tenancy on`,
    open: true,
    tenancyOf: 'turnpike-all',
  },
};

/** The one network of every Turnpike target. */
const NETWORK = 'bench';
/** Sequential requests per Turnpike target for the Server-Timing stage medians. */
const TIMING_SAMPLES = 500;

const log = (message) => process.stderr.write(`${message}\n`);

async function main() {
  const unknown = cfg.targets.filter((t) => !(t in TARGETS));
  if (unknown.length)
    throw new Error(`unknown BENCH_TARGETS ${unknown.join(', ')}; known: ${Object.keys(TARGETS)}`);
  await ensureTools({ nginxBin: NGINX, log });
  const dir = await makeTempDir();
  const script = await writeWrkScript(dir);
  const machine = machineInfo({ nginx: await nginxVersion(), wrk: await wrkVersion() });
  log(`turnpike proxy benchmark — ${machine.cpus} cores, ${machine.cpuModel}, node ${machine.node}`);
  log(
    `${cfg.rounds} interleaved round(s); closed loop: wrk ${cfg.wrkThreads}×${cfg.wrkConnections} for ${cfg.seconds}s after ${cfg.warmupSeconds}s warm-up; ` +
      `open loop: ${cfg.openRate} RPS for ${cfg.openSeconds}s`,
  );

  const stubPort = await freePort();
  const stub = await startNginxStub({ port: stubPort, statusPort: await freePort() });
  await assertJsonRpc(stub.url, 'nginx stub');

  /**
   * Tenancy on: a fresh SQLite file with one plan (rate limit far above the load), a prepaid
   * project and one key, seeded before start; requests carry the key in the path.
   */
  const startKeyedTurnpike = async (key, workers) => {
    const seed = await seedTenancy({ dir, name: key, network: NETWORK });
    const server = await startTurnpike({
      dir,
      port: await freePort(),
      workers,
      upstreams: [stub.url],
      network: NETWORK,
      extraConfig: seed.config,
      urlPath: `/${NETWORK}/${seed.secret}`,
    });
    return { ...server, tenancy: { seed, tally: newTally() } };
  };

  const starters = {
    direct: async () => ({ child: stub.child, url: stub.url, keep: true }),
    nginx: async () => startNginxProxy({ port: await freePort(), upstreamPort: stubPort }),
    express: async () => startExpressProxy({ port: await freePort(), upstream: stub.url }),
    floor: async () =>
      startNodeUndiciProxy({ port: await freePort(), upstream: stub.url, workers: allWorkers }),
    'turnpike-1': async () =>
      startTurnpike({ dir, port: await freePort(), workers: 1, upstreams: [stub.url] }),
    'turnpike-all': async () =>
      startTurnpike({ dir, port: await freePort(), workers: allWorkers, upstreams: [stub.url] }),
    'turnpike-1-tenancy': () => startKeyedTurnpike('turnpike-1-tenancy', 1),
    'turnpike-all-tenancy': () => startKeyedTurnpike('turnpike-all-tenancy', allWorkers),
  };

  // Every target runs for the whole benchmark (idle ones cost nothing) so rounds can interleave.
  const results = {};
  const failures = [];
  const servers = {};
  const speedProbes = [];
  let timings = {};
  let tenancy = [];
  for (const key of cfg.targets) {
    const target = TARGETS[key];
    try {
      servers[key] = await starters[key]();
      await assertJsonRpc(servers[key].url, target.label);
      if (servers[key].tenancy) {
        servers[key].tenancy.tally.checks++;
        await assertTenancyOn(servers[key], target.label);
      }
      results[key] = { label: target.label, rounds: [] };
    } catch (err) {
      log(`  ✗ ${target.label} could not start: ${err.message}`);
      failures.push({ target: key, error: err.message });
      results[key] = { label: target.label, error: err.message };
      // Started but answered wrongly: stop it and leave it out of the rounds.
      const started = servers[key];
      delete servers[key];
      if (started && !started.keep) await stopChild(started.child);
    }
  }
  try {
    for (let round = 1; round <= cfg.rounds; round++) {
      if (cfg.quietWaitSeconds > 0) await waitForQuiet(cfg.quietWaitSeconds);
      const probe = nodeSpeedProbe();
      speedProbes.push(probe);
      log(`\n■ round ${round} of ${cfg.rounds} (Node speed probe: ${fmt(probe, 0)} ns per JSON round trip)`);
      for (const key of roundOrder(Object.keys(servers), round))
        await measureRound(key, servers[key], results, stub, script);
    }
    timings = await sampleTimings(servers);
    tenancy = await verifyTenancy(servers);
    for (const check of tenancy)
      for (const problem of check.failures) failures.push({ target: check.target, error: problem });
  } finally {
    for (const server of Object.values(servers)) if (!server.keep) await stopChild(server.child);
  }
  for (const [key, result] of Object.entries(results)) {
    if (!result.rounds) continue;
    for (const round of result.rounds) if (round.error) failures.push({ target: key, error: round.error });
    result.closed = summarizeClosed(result.rounds);
    result.open = summarizeOpen(result.rounds);
  }

  const labels = Object.fromEntries(Object.entries(TARGETS).map(([k, t]) => [k, t.label]));
  const checks = evaluateTargets(results);
  printReport(results, labels, checks, speedProbes, timings, tenancy);
  const path = await writeResult('proxy', {
    machine,
    config: cfg,
    speedProbes,
    results,
    checks,
    serverTiming: timings,
    tenancy,
    failures,
  });
  console.log(`\nresults written to ${path}`);
  // A missed target is a finding, not a crash; only targets that could not be measured fail the run.
  return failures.length ? 1 : 0;
}

/**
 * The targets in the order of one round: as started, except that in even rounds each tenancy
 * pair runs on before off, so a machine drifting within a round favours neither side.
 */
function roundOrder(keys, round) {
  const order = [...keys];
  if (round % 2 === 1) return order;
  for (const key of keys) {
    const twin = TARGETS[key].tenancyOf;
    const on = order.indexOf(key);
    const off = twin === undefined ? -1 : order.indexOf(twin);
    if (off !== -1) [order[on], order[off]] = [order[off], order[on]];
  }
  return order;
}

/** One round of one target: closed loop, then (for `open` targets) the fixed-rate open loop. */
async function measureRound(key, server, results, stub, script) {
  const target = TARGETS[key];
  const round = {};
  const tally = server.tenancy?.tally;
  try {
    const stubStatusUrl = key === 'direct' ? null : stub.statusUrl;
    round.closed = await undisturbed(
      () => measureClosedLoop({ url: server.url, pid: server.child.pid, stubStatusUrl, script, cfg, tally }),
      cfg,
      log,
    );
    log(
      `  ${target.label}: ${fmt(round.closed.rps)} RPS, p99 ${fmt(round.closed.p99Ms, 2)} ms, ${fmt(round.closed.cpuUsPerRequest, 1)} µs CPU/req`,
    );
    if (target.open) {
      round.open = await undisturbed(() => measureOpenLoop({ url: server.url, cfg, tally }), cfg, log);
      log(
        `  ${target.label} open loop @${cfg.openRate}: p50 ${fmt(round.open.latencyMs.p50, 3)} ms, p99 ${fmt(round.open.latencyMs.p99, 3)} ms`,
      );
    }
  } catch (err) {
    log(`  ✗ ${target.label} failed: ${err.message}`);
    round.error = err.message;
  }
  results[key].rounds.push(round);
}

/**
 * Tenancy is really on: a request without the key is refused (401, not metered), and a keyed one
 * passes the rate limiter (RateLimit-Limit is the plan's burst) with an auth stage timed.
 */
async function assertTenancyOn(server, label) {
  const keyless = await fetch(new URL(`/${NETWORK}`, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: REQUEST_BODY,
    signal: AbortSignal.timeout(5_000),
  });
  await keyless.arrayBuffer();
  if (keyless.status !== 401)
    throw new Error(`${label}: a request without a key got HTTP ${keyless.status}, not 401`);
  await sampleServerTiming(server.url, REQUEST_BODY, 1, tenancyHeaders(label));
  server.tenancy.tally.checks++;
}

/** Throws unless a keyed response went through the rate limiter and the auth stage. */
function tenancyHeaders(label) {
  return (response) => {
    const limit = response.headers.get('ratelimit-limit');
    if (limit !== String(BENCH_RATE.burst))
      throw new Error(
        `${label}: RateLimit-Limit is ${limit}, expected ${BENCH_RATE.burst} from the bench plan`,
      );
    if (!/\bauth;dur=/.test(response.headers.get('server-timing') ?? ''))
      throw new Error(`${label}: no auth stage in Server-Timing`);
  };
}

/**
 * Medians of Turnpike's Server-Timing stages over TIMING_SAMPLES sequential requests per
 * Turnpike target, at no load: where the time of one request goes with tenancy off and on.
 */
async function sampleTimings(servers) {
  const out = {};
  for (const [key, server] of Object.entries(servers)) {
    if (!key.startsWith('turnpike')) continue;
    try {
      const check = server.tenancy ? tenancyHeaders(TARGETS[key].label) : undefined;
      out[key] = await sampleServerTiming(server.url, REQUEST_BODY, TIMING_SAMPLES, check);
      if (server.tenancy) server.tenancy.tally.checks += TIMING_SAMPLES;
    } catch (err) {
      log(`  ✗ Server-Timing sample of ${TARGETS[key].label} failed: ${err.message}`);
      out[key] = { error: err.message };
    }
  }
  return out;
}

/**
 * Stops each tenancy target gracefully (its meter writes what is left) and compares the usage in
 * its SQLite file with what the harness sent. wrk stops with up to one request per connection
 * in flight, which Turnpike may serve and meter after wrk stopped counting: the metered total
 * may exceed the counted one by at most connections × wrk runs, and never fall below it.
 */
async function verifyTenancy(servers) {
  const out = [];
  for (const [key, server] of Object.entries(servers)) {
    if (!server.tenancy) continue;
    const { seed, tally } = server.tenancy;
    const check = { target: key, tally, sent: tallyTotal(tally), failures: [], warnings: [] };
    out.push(check);
    await stopChild(server.child, 30_000);
    check.exitCode = server.child.exitCode;
    if (check.exitCode !== 0)
      check.failures.push(`did not stop cleanly (exit ${check.exitCode}): usage may be lost`);
    try {
      check.usage = await readUsage(seed);
    } catch (err) {
      check.failures.push(`could not read usage from ${seed.database}: ${err.message}`);
      continue;
    }
    const { usage } = check;
    check.difference = usage.requests - check.sent;
    check.maxCut = tally.wrkRuns * cfg.wrkConnections;
    check.creditsDebited = usage.creditsLeft === null ? null : BENCH_CREDITS - usage.creditsLeft;
    const notOk = Object.entries(usage.byOutcome).filter(([outcome]) => outcome !== 'ok');
    if (tally.wrkNon2xx > 0 || tally.openErrors > 0)
      check.failures.push(
        `${tally.wrkNon2xx} non-2xx responses under wrk and ${tally.openErrors} open-loop errors: tenancy refused or failed requests`,
      );
    if (notOk.length)
      check.failures.push(`metered outcomes other than ok: ${JSON.stringify(Object.fromEntries(notOk))}`);
    if (usage.requests === 0) check.failures.push('nothing was metered');
    if (tally.wrkSocketErrors > 0) check.warnings.push(`${tally.wrkSocketErrors} socket errors under wrk`);
    if (check.difference < 0)
      check.warnings.push(`${-check.difference} answered requests are missing from usage_daily`);
    if (check.difference > check.maxCut)
      check.warnings.push(`${check.difference} more requests metered than answered (bound ${check.maxCut})`);
    if (check.creditsDebited !== usage.computeUnits)
      check.warnings.push(
        `credits debited (${check.creditsDebited}) differ from metered compute units (${usage.computeUnits})`,
      );
  }
  return out;
}

function printReport(results, labels, checks, speedProbes, timings = {}, tenancy = []) {
  console.log(
    `\nClosed loop (wrk, max throughput; latency is coordinated-omission biased); medians of ${cfg.rounds} round(s)`,
  );
  console.log(closedLoopTable(results, labels));
  console.log(
    `\nOpen loop at ${cfg.openRate} RPS (latency from intended send time); medians of ${cfg.rounds} round(s)`,
  );
  console.log(openLoopTable(results, labels));
  const rounds = roundFigures(results);
  const list = (values, digits) => values.map((v) => fmt(v, digits)).join(', ') || '–';
  console.log(`\nPer round: Turnpike(all)/nginx ${list(rounds.nginxRatio, 2)}`);
  console.log(`           Turnpike(all)/Express ${list(rounds.expressRatio, 2)}`);
  console.log(`           added p99 vs direct (ms) ${list(rounds.addedP99Ms, 3)}`);
  console.log(`           node:http + undici/nginx ${list(rounds.floorNginxRatio, 2)}`);
  console.log(`           node:http + undici added p99 vs direct (ms) ${list(rounds.floorAddedP99Ms, 3)}`);
  console.log(`           Turnpike(all) CPU/req ÷ node:http + undici ${list(rounds.cpuOverFloor, 2)}`);
  console.log(
    `           Node speed probe (ns per JSON round trip; higher = slower machine) ${list(speedProbes, 0)}`,
  );
  console.log(`\nTargets\n${checksTable(checks)}`);
  if (results.floor?.closed) console.log(`\n${floorTable(rounds)}`);
  if (Object.entries(TARGETS).some(([key, t]) => t.tenancyOf && results[key]?.closed)) {
    console.log(
      `\nTenancy on: key in the path (/${NETWORK}/<key>) looked up in SQLite, plan checks, credits ` +
        `(${fmt(BENCH_CREDITS)} prepaid), rate limit ${fmt(BENCH_RATE.perSecond)}/s (never reached), usage metering`,
    );
    console.log(tenancyTable(rounds, checks));
  }
  if (tenancy.length) console.log(`\n${usageTable(tenancy, labels)}`);
  for (const check of tenancy) {
    for (const failure of check.failures) console.log(`✗ ${labels[check.target]}: ${failure}`);
    for (const warning of check.warnings) console.log(`⚠ ${labels[check.target]}: ${warning}`);
  }
  if (Object.keys(timings).length) console.log(`\n${timingTable(timings, labels)}`);
  for (const warning of warnings(results, labels)) console.log(`⚠ ${warning}`);
  const failed = Object.entries(results).filter(([, r]) => r.error || r.rounds?.some((round) => round.error));
  for (const [key, r] of failed) {
    const error = r.error ?? r.rounds.find((round) => round.error).error;
    console.log(`\n${labels[key]} could not be measured: ${error}`);
  }
}

/** Conditions that make a row untrustworthy; printed under the targets. */
function warnings(results, labels) {
  const out = [];
  for (const [key, r] of Object.entries(results)) {
    const name = labels[key];
    for (const [kind, run] of [
      ['closed loop', r.closed],
      ['open loop', r.open],
    ]) {
      if (run?.backgroundCores > MAX_BACKGROUND_CORES) {
        out.push(
          `${name}, ${kind}: other processes used ${fmt(run.backgroundCores, 2)} cores meanwhile — rerun on a quiet machine`,
        );
      }
    }
    if (r.closed?.errors) out.push(`${name}: ${fmt(r.closed.errors)} failed requests under wrk`);
    const perRequest = r.closed?.upstreamPerRequest;
    if (typeof perRequest === 'number' && perRequest < 0.95) {
      out.push(
        `${name}: only ${fmt(perRequest, 2)} upstream requests per client request — answered from cache/coalescing, not a pure proxy figure`,
      );
    }
  }
  return out;
}

/** Metered usage against what the harness counted, per tenancy target. */
function usageTable(tenancy, labels) {
  const rows = tenancy.map((c) => [
    labels[c.target],
    fmt(c.usage?.requests),
    fmt(c.sent),
    c.difference === undefined
      ? '–'
      : `${c.difference >= 0 ? '+' : ''}${fmt(c.difference)} (≤ ${fmt(c.maxCut)})`,
    fmt(c.tally.wrkTimed),
    fmt(c.tally.wrkNon2xx + c.tally.openErrors),
    c.creditsDebited === undefined ? '–' : `${fmt(c.creditsDebited)} / ${fmt(c.usage?.computeUnits)}`,
    c.exitCode === 0 ? 'clean' : String(c.exitCode),
  ]);
  return [
    'Usage metered into SQLite (usage_daily, read after a graceful stop) against responses the harness counted',
    '(wrk timed + wrk warm-up + open loop incl. warm-up + single checks; wrk cuts ≤ 1 in-flight request per connection per run)',
    table(
      [
        'tenancy target',
        'metered',
        'counted',
        'metered − counted',
        'of which wrk timed',
        'non-2xx/errors',
        'credits debited / CU metered',
        'stop',
      ],
      rows,
    ),
  ].join('\n');
}

/** Server-Timing stage medians at no load. */
function timingTable(timings, labels) {
  const stages = ['read', 'parse', 'auth', 'select', 'upstream', 'total'];
  const rows = Object.entries(timings).map(([key, t]) => [
    labels[key],
    ...stages.map((stage) => fmt(t[stage], 3)),
    fmt(t.clientRoundTripMs, 3),
  ]);
  return [
    `Server-Timing medians (ms) over ${TIMING_SAMPLES} sequential requests per target, no other load`,
    table(['target', ...stages, 'client round trip'], rows),
  ].join('\n');
}

runBenchmark(main);
