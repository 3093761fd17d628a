// `npm run bench:compare`: turnpike bench next to wrk and autocannon on the same loopback stub in
// the same run (needs the compiled CLI: `npm run build`). Three targets, each a child process:
//   steady  2 ms service time                      (all tools should agree on the median)
//   stalls  2 ms + the process stalls 200 ms every 2 s (coordinated omission shows up)
//   fast    0 ms service time at 5,000 RPS          (generator CPU per request)
// turnpike bench and autocannon get the same open rate and connections; wrk (closed loop, no rate
// option in Debian's wrk) gets as many connections as the rate × service time needs, so it
// offers about the same load. Prints one table; writes benchmarks/results/bench-compare-*.json.
// Env: COMPARE_SECONDS (default 10), COMPARE_RATE (1000), COMPARE_FAST_RATE (5000).
//
// `npm run bench:compare -- --cpu`: generator CPU only. turnpike bench and autocannon take turns
// (COMPARE_ROUNDS rounds, default 3) against one 0-ms stub at each of COMPARE_CPU_RATES (default
// 1000,5000) per second, same connections; prints each tool's CPU µs per request (the whole
// process: start-up, threads, exit) and the ratio, and turnpike bench's own figure over the
// schedule only (report.generator.cpu). Writes benchmarks/results/bench-compare-cpu-*.json.
// COMPARE_BEFORE=<path of bin/turnpike.js> adds another build (an older commit extracted with
// `git archive` and built) to every round: before and after in the same run.
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir, runBenchmark } from './lib/children.mjs';
import { machineInfo, writeResult } from './lib/machine.mjs';
import { waitForQuiet } from './lib/measure.mjs';
import { cpuMeter } from './lib/proc-stats.mjs';
import { parseWrk } from './lib/wrk.mjs';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const STUB = join(ROOT, 'test/bench/stub-server.mjs');
const AUTOCANNON = join(ROOT, 'node_modules/autocannon/autocannon.js');
const BODY = '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}';
const SECONDS = Number(process.env.COMPARE_SECONDS ?? 10);
const RATE = Number(process.env.COMPARE_RATE ?? 1000);
const FAST_RATE = Number(process.env.COMPARE_FAST_RATE ?? 5000);
const CONNECTIONS = 32;
const log = (m) => process.stderr.write(`${m}\n`);

async function startStub(options) {
  const child = spawn(process.execPath, [STUB, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve) =>
    child.stdout.on('data', (d) => {
      const m = /listening (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    }),
  );
  return { child, url: `http://127.0.0.1:${port}/` };
}

/** Runs `fn`, charging it the CPU of this process's reaped children (the tool), not the stub's. */
async function withCpu(stubPid, fn) {
  const all = cpuMeter(process.pid);
  const stub = cpuMeter(stubPid);
  const self = process.cpuUsage();
  const result = await fn();
  const own = process.cpuUsage(self);
  const cpu = all() - stub() - (own.user + own.system) / 1e6;
  return { ...result, cpuSeconds: cpu };
}

async function turnpike(dir, url, rate, name, bin = join(ROOT, 'bin/turnpike.js'), tool = 'turnpike bench') {
  const file = join(dir, `${name}.yaml`);
  const json = join(dir, `${name}.json`);
  await writeFile(
    file,
    `target: ${url}\nmetrics: false\nconnections: ${CONNECTIONS}\nphases:\n  - { name: warmup, duration: 2s, rate: ${rate} }\n  - { name: sustain, duration: ${SECONDS}s, rate: ${rate} }\nrequests:\n  - rpc: { method: eth_blockNumber }\n`,
  );
  await run(process.execPath, [bin, 'bench', file, '--quiet', '--json', json], {
    timeout: (SECONDS + 60) * 1000,
  }).catch((err) => {
    if (err.code !== 1 && err.code !== 3) throw err; // 1/3: thresholds or invalid, still a report
  });
  const report = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(json, 'utf8')));
  const s = report.phases.find((p) => p.name === 'sustain');
  return {
    tool,
    requests: report.phases.reduce((n, p) => n + p.ok + p.errors, 0),
    rps: s.achievedRps,
    p50: s.corrected.p50,
    p99: s.corrected.p99,
    max: s.corrected.max,
    serviceP50: s.service.p50,
    serviceP99: s.service.p99,
    valid: report.generator.valid,
    runCpuUsPerRequest: report.generator.cpu?.usPerRequest,
  };
}

async function autocannon(url, rate) {
  const args = [
    AUTOCANNON,
    '-c',
    String(CONNECTIONS),
    '-R',
    String(rate),
    '-d',
    String(SECONDS + 2),
    '-m',
    'POST',
  ];
  args.push('-H', 'content-type=application/json', '-b', BODY, '--json', url);
  const { stdout } = await run(process.execPath, args, {
    timeout: (SECONDS + 60) * 1000,
    maxBuffer: 1 << 24,
  });
  const r = JSON.parse(stdout);
  return {
    tool: `autocannon -R ${rate}`,
    requests: r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
  };
}

async function wrk(dir, url, connections) {
  const script = join(dir, 'post.lua');
  await writeFile(
    script,
    `wrk.method = "POST"\nwrk.body = '${BODY}'\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  const { stdout } = await run(
    'wrk',
    ['-t', '1', '-c', String(connections), '-d', `${SECONDS + 2}s`, '--latency', '-s', script, url],
    {
      timeout: (SECONDS + 60) * 1000,
    },
  );
  const r = parseWrk(stdout);
  return {
    tool: `wrk -c ${connections} (closed loop)`,
    requests: r.requests,
    rps: r.rps,
    p50: r.p50Ms,
    p99: r.p99Ms,
    max: Number.NaN,
  };
}

const f = (v) => (v === undefined || Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(2));

async function main() {
  const dir = await makeTempDir('turnpike-bench-compare-');
  const targets = [
    {
      name: 'steady',
      stub: { serviceMs: 2 },
      rate: RATE,
      wrkConnections: Math.max(1, Math.round((RATE * 2.2) / 1000)),
    },
    {
      name: 'stalls',
      stub: { serviceMs: 2, stallMs: 200, stallEveryMs: 2000 },
      rate: RATE,
      wrkConnections: Math.max(1, Math.round((RATE * 2.2) / 1000)),
    },
    { name: 'fast', stub: { serviceMs: 0 }, rate: FAST_RATE, wrkConnections: 4 },
  ];
  const rows = [];
  for (const target of targets) {
    const stub = await startStub(target.stub);
    try {
      for (const tool of ['turnpike', 'autocannon', 'wrk']) {
        const quiet = await waitForQuiet(60);
        log(`${target.name}: ${tool}${quiet ? '' : ' (machine not quiet after 60 s)'}`);
        const result = await withCpu(stub.child.pid, () =>
          tool === 'turnpike'
            ? turnpike(dir, stub.url, target.rate, target.name)
            : tool === 'autocannon'
              ? autocannon(stub.url, target.rate)
              : wrk(dir, stub.url, target.wrkConnections),
        );
        rows.push({
          target: target.name,
          offered: tool === 'wrk' ? undefined : target.rate,
          quiet,
          ...result,
        });
      }
    } finally {
      stub.child.kill('SIGTERM');
    }
  }
  const header = [
    'target',
    'tool',
    'rps',
    'p50 ms',
    'p99 ms',
    'max ms',
    'service p50/p99',
    'CPU µs/req',
    'quiet',
  ];
  const lines = [header.join(' | ')];
  for (const r of rows)
    lines.push(
      [
        r.target,
        r.valid === false ? `${r.tool} (INVALID: generator-bound)` : r.tool,
        f(r.rps),
        f(r.p50),
        f(r.p99),
        f(r.max),
        r.serviceP50 === undefined ? '' : `${f(r.serviceP50)} / ${f(r.serviceP99)}`,
        f((r.cpuSeconds * 1e6) / r.requests),
        r.quiet ? 'yes' : 'no',
      ].join(' | '),
    );
  process.stdout.write(`${lines.map((l) => `| ${l} |`).join('\n')}\n`);
  const path = await writeResult('bench-compare', {
    machine: machineInfo(),
    seconds: SECONDS,
    connections: CONNECTIONS,
    rows,
  });
  log(`results: ${path}`);
}

/** Generator CPU per request of turnpike bench (and an older build) and autocannon, in turns. */
async function cpuMain() {
  const dir = await makeTempDir('turnpike-bench-compare-');
  const rounds = Number(process.env.COMPARE_ROUNDS ?? 3);
  const rates = (process.env.COMPARE_CPU_RATES ?? '1000,5000').split(',').map(Number);
  const before = process.env.COMPARE_BEFORE;
  const tools = [
    ...(before === undefined ? [] : [{ name: 'turnpike bench (before)', bin: before }]),
    { name: 'turnpike bench' },
    { name: 'autocannon' },
  ];
  const stub = await startStub({ serviceMs: 0 });
  const rows = [];
  try {
    for (const rate of rates)
      for (let round = 1; round <= rounds; round++)
        for (const tool of tools) {
          const quiet = await waitForQuiet(60);
          const load = loadavg()[0];
          log(
            `${rate}/s round ${round}: ${tool.name} (load ${load.toFixed(2)}${quiet ? '' : ', not quiet after 60 s'})`,
          );
          const result = await withCpu(stub.child.pid, () =>
            tool.name === 'autocannon'
              ? autocannon(stub.url, rate)
              : turnpike(dir, stub.url, rate, `cpu-${rate}`, tool.bin, tool.name),
          );
          rows.push({
            rate,
            round,
            quiet,
            load,
            ...result,
            tool: tool.name,
            usPerRequest: (result.cpuSeconds * 1e6) / result.requests,
          });
        }
  } finally {
    stub.child.kill('SIGTERM');
  }
  const median = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const cell = (r) =>
    `${f(r.usPerRequest)}${r.runCpuUsPerRequest === undefined ? '' : ` (${f(r.runCpuUsPerRequest)})`}${r.valid === false ? ' INVALID' : ''}`;
  const lines = [
    ['rate', 'round', ...tools.map((t) => `${t.name} µs/req`), 'turnpike / autocannon', 'load'].join(' | '),
  ];
  for (const rate of rates) {
    for (let round = 1; round <= rounds; round++) {
      const of = (name) => rows.find((r) => r.rate === rate && r.round === round && r.tool === name);
      lines.push(
        [
          rate,
          round,
          ...tools.map((t) => cell(of(t.name))),
          (of('turnpike bench').usPerRequest / of('autocannon').usPerRequest).toFixed(2),
          tools.map((t) => of(t.name).load.toFixed(2)).join(' / '),
        ].join(' | '),
      );
    }
    const med = (name) =>
      median(rows.filter((r) => r.rate === rate && r.tool === name).map((r) => r.usPerRequest));
    lines.push(
      [
        rate,
        'median',
        ...tools.map((t) => f(med(t.name))),
        (med('turnpike bench') / med('autocannon')).toFixed(2),
        '',
      ].join(' | '),
    );
  }
  process.stdout.write(`${lines.map((l) => `| ${l} |`).join('\n')}\n`);
  log(
    "µs/req: CPU of the whole process over requests sent; in brackets turnpike bench's own figure from t0 (no start-up)",
  );
  const path = await writeResult('bench-compare-cpu', {
    machine: machineInfo(),
    seconds: SECONDS,
    connections: CONNECTIONS,
    before,
    rows,
  });
  log(`results: ${path}`);
}

runBenchmark(process.argv.includes('--cpu') ? cpuMain : main);
