// `npm run bench:proxy`: what does Turnpike cost compared with calling the upstream directly,
// with nginx as a proxy, and with the naive Express proxy? Everything is measured in one run on
// this machine, so the ratios hold even though absolute figures drift. See docs/benchmarks.md.
import os from 'node:os';
import { makeTempDir, runBenchmark, stopChild } from './lib/children.mjs';
import { proxyBenchConfig } from './lib/env.mjs';
import { assertJsonRpc } from './lib/jsonrpc.mjs';
import { machineInfo, writeResult } from './lib/machine.mjs';
import { MAX_BACKGROUND_CORES, measureClosedLoop, measureOpenLoop, undisturbed } from './lib/measure.mjs';
import { nginxVersion, startNginxProxy, startNginxStub } from './lib/nginx.mjs';
import { freePort } from './lib/ports.mjs';
import { checksTable, closedLoopTable, evaluateTargets, fmt, openLoopTable } from './lib/report.mjs';
import { startExpressProxy, startTurnpike } from './lib/servers.mjs';
import { writeWrkScript, wrkVersion } from './lib/wrk.mjs';

const cfg = proxyBenchConfig();
const allWorkers = cfg.turnpikeWorkers || os.availableParallelism();

/** The targets in run order; `open` ones also get the fixed-rate open-loop run. */
const TARGETS = {
  direct: { label: 'direct stub (nginx return 200)', open: true },
  nginx: { label: 'nginx keep-alive proxy (2 workers)', open: true },
  express: { label: 'Express + fetch (1 process)', open: false },
  'turnpike-1': { label: 'Turnpike, 1 worker', open: false },
  'turnpike-all': { label: `Turnpike, ${allWorkers} workers`, open: true },
};

const log = (message) => process.stderr.write(`${message}\n`);

async function main() {
  const unknown = cfg.targets.filter((t) => !(t in TARGETS));
  if (unknown.length)
    throw new Error(`unknown BENCH_TARGETS ${unknown.join(', ')}; known: ${Object.keys(TARGETS)}`);
  const dir = await makeTempDir();
  const script = await writeWrkScript(dir);
  const machine = machineInfo({ nginx: await nginxVersion(), wrk: await wrkVersion() });
  log(`turnpike proxy benchmark — ${machine.cpus} cores, ${machine.cpuModel}, node ${machine.node}`);
  log(
    `closed loop: wrk ${cfg.wrkThreads}×${cfg.wrkConnections} for ${cfg.seconds}s after ${cfg.warmupSeconds}s warm-up; ` +
      `open loop: ${cfg.openRate} RPS for ${cfg.openSeconds}s`,
  );

  const stubPort = await freePort();
  const stub = await startNginxStub({ port: stubPort, statusPort: await freePort() });
  await assertJsonRpc(stub.url, 'nginx stub');

  const starters = {
    direct: async () => ({ child: stub.child, url: stub.url, keep: true }),
    nginx: async () => startNginxProxy({ port: await freePort(), upstreamPort: stubPort }),
    express: async () => startExpressProxy({ port: await freePort(), upstream: stub.url }),
    'turnpike-1': async () =>
      startTurnpike({ dir, port: await freePort(), workers: 1, upstreams: [stub.url] }),
    'turnpike-all': async () =>
      startTurnpike({ dir, port: await freePort(), workers: allWorkers, upstreams: [stub.url] }),
  };

  const results = {};
  const failures = [];
  for (const key of cfg.targets) {
    const target = TARGETS[key];
    log(`\n▶ ${target.label}`);
    let server = null;
    try {
      server = await starters[key]();
      await assertJsonRpc(server.url, target.label);
      const stubStatusUrl = key === 'direct' ? null : stub.statusUrl;
      const closed = await undisturbed(
        () => measureClosedLoop({ url: server.url, pid: server.child.pid, stubStatusUrl, script, cfg }),
        cfg,
        log,
      );
      log(
        `  closed loop: ${fmt(closed.rps)} RPS, p99 ${fmt(closed.p99Ms, 2)} ms, ${fmt(closed.cpuUsPerRequest, 1)} µs CPU/req`,
      );
      results[key] = { label: target.label, closed };
      if (target.open) {
        const open = await undisturbed(() => measureOpenLoop({ url: server.url, cfg }), cfg, log);
        log(
          `  open loop @${cfg.openRate}: p50 ${fmt(open.latencyMs.p50, 3)} ms, p99 ${fmt(open.latencyMs.p99, 3)} ms`,
        );
        results[key].open = open;
      }
    } catch (err) {
      log(`  ✗ ${target.label} failed: ${err.message}`);
      failures.push({ target: key, error: err.message });
      results[key] = { label: target.label, error: err.message };
    } finally {
      if (server && !server.keep) await stopChild(server.child);
    }
  }

  const labels = Object.fromEntries(Object.entries(TARGETS).map(([k, t]) => [k, t.label]));
  const checks = evaluateTargets(results);
  printReport(results, labels, checks);
  const path = await writeResult('proxy', { machine, config: cfg, results, checks, failures });
  console.log(`\nresults written to ${path}`);
  // A missed target is a finding, not a crash; only targets that could not be measured fail the run.
  return failures.length ? 1 : 0;
}

function printReport(results, labels, checks) {
  const tp = results['turnpike-all'];
  console.log('\nClosed loop (wrk, max throughput; latency is coordinated-omission biased)');
  console.log(closedLoopTable(results, labels));
  console.log(`\nOpen loop at ${cfg.openRate} RPS (latency from intended send time)`);
  console.log(openLoopTable(results, labels));
  const ratio = (key) => {
    const a = tp?.closed?.rps;
    const b = results[key]?.closed?.rps;
    return a && b ? `${fmt(a / b, 2)}×` : '–';
  };
  console.log(
    `\nRatios: Turnpike(all) vs nginx ${ratio('nginx')}, vs Express ${ratio('express')}, vs direct ${ratio('direct')}`,
  );
  console.log(`\nTargets\n${checksTable(checks)}`);
  for (const warning of warnings(results, labels)) console.log(`⚠ ${warning}`);
  const failed = Object.entries(results).filter(([, r]) => r.error);
  for (const [key, r] of failed) console.log(`\n${labels[key]} could not be measured: ${r.error}`);
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
