// `npm run bench:proxy`: what does Turnpike cost compared with calling the upstream directly,
// with nginx as a proxy, and with the naive Express proxy? Everything is measured in one run on
// this machine, so the ratios hold even though absolute figures drift. See docs/benchmarks.md.
import os from 'node:os';
import { makeTempDir, runBenchmark, stopChild } from './lib/children.mjs';
import { proxyBenchConfig } from './lib/env.mjs';
import { assertJsonRpc } from './lib/jsonrpc.mjs';
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
} from './lib/report.mjs';
import { summarizeClosed, summarizeOpen } from './lib/rounds.mjs';
import { startExpressProxy, startNodeUndiciProxy, startTurnpike } from './lib/servers.mjs';
import { ensureTools } from './lib/tools.mjs';
import { writeWrkScript, wrkVersion } from './lib/wrk.mjs';

const cfg = proxyBenchConfig();
const allWorkers = cfg.turnpikeWorkers || os.availableParallelism();

/** The targets in run order; `open` ones also get the fixed-rate open-loop run. */
const TARGETS = {
  direct: { label: 'direct stub (nginx return 200)', open: true },
  nginx: { label: 'nginx keep-alive proxy (2 workers)', open: true },
  express: { label: 'Express + fetch (1 process)', open: false },
  floor: { label: `node:http + undici pass-through (${allWorkers} processes)`, open: true },
  'turnpike-1': { label: 'Turnpike, 1 worker', open: false },
  'turnpike-all': { label: `Turnpike, ${allWorkers} workers`, open: true },
};

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
  };

  // Every target runs for the whole benchmark (idle ones cost nothing) so rounds can interleave.
  const results = {};
  const failures = [];
  const servers = {};
  const speedProbes = [];
  for (const key of cfg.targets) {
    const target = TARGETS[key];
    try {
      servers[key] = await starters[key]();
      await assertJsonRpc(servers[key].url, target.label);
      results[key] = { label: target.label, rounds: [] };
    } catch (err) {
      log(`  ✗ ${target.label} could not start: ${err.message}`);
      failures.push({ target: key, error: err.message });
      results[key] = { label: target.label, error: err.message };
    }
  }
  try {
    for (let round = 1; round <= cfg.rounds; round++) {
      if (cfg.quietWaitSeconds > 0) await waitForQuiet(cfg.quietWaitSeconds);
      const probe = nodeSpeedProbe();
      speedProbes.push(probe);
      log(`\n■ round ${round} of ${cfg.rounds} (Node speed probe: ${fmt(probe, 0)} ns per JSON round trip)`);
      for (const key of Object.keys(servers)) await measureRound(key, servers[key], results, stub, script);
    }
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
  printReport(results, labels, checks, speedProbes);
  const path = await writeResult('proxy', { machine, config: cfg, speedProbes, results, checks, failures });
  console.log(`\nresults written to ${path}`);
  // A missed target is a finding, not a crash; only targets that could not be measured fail the run.
  return failures.length ? 1 : 0;
}

/** One round of one target: closed loop, then (for `open` targets) the fixed-rate open loop. */
async function measureRound(key, server, results, stub, script) {
  const target = TARGETS[key];
  const round = {};
  try {
    const stubStatusUrl = key === 'direct' ? null : stub.statusUrl;
    round.closed = await undisturbed(
      () => measureClosedLoop({ url: server.url, pid: server.child.pid, stubStatusUrl, script, cfg }),
      cfg,
      log,
    );
    log(
      `  ${target.label}: ${fmt(round.closed.rps)} RPS, p99 ${fmt(round.closed.p99Ms, 2)} ms, ${fmt(round.closed.cpuUsPerRequest, 1)} µs CPU/req`,
    );
    if (target.open) {
      round.open = await undisturbed(() => measureOpenLoop({ url: server.url, cfg }), cfg, log);
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

function printReport(results, labels, checks, speedProbes) {
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

runBenchmark(main);
