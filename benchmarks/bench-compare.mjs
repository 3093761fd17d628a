// `npm run bench:compare`: turnpike bench next to wrk and autocannon on the same loopback stub in
// the same run (needs the compiled CLI: `npm run build`). Three targets, each a child process:
//   steady  2 ms service time                      (all tools should agree on the median)
//   stalls  2 ms + the process stalls 200 ms every 2 s (coordinated omission shows up)
//   fast    0 ms service time at 5,000 RPS          (generator CPU per request)
// turnpike bench and autocannon get the same open rate and connections; wrk (closed loop, no rate
// option in Debian's wrk) gets as many connections as the rate × service time needs, so it
// offers about the same load. Prints one table; writes benchmarks/results/bench-compare-*.json.
// Env: COMPARE_SECONDS (default 10), COMPARE_RATE (1000), COMPARE_FAST_RATE (5000).
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
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

async function turnpike(dir, url, rate, name) {
  const file = join(dir, `${name}.yaml`);
  const json = join(dir, `${name}.json`);
  await writeFile(
    file,
    `target: ${url}\nmetrics: false\nconnections: ${CONNECTIONS}\nphases:\n  - { name: warmup, duration: 2s, rate: ${rate} }\n  - { name: sustain, duration: ${SECONDS}s, rate: ${rate} }\nrequests:\n  - rpc: { method: eth_blockNumber }\n`,
  );
  await run(process.execPath, [join(ROOT, 'bin/turnpike.js'), 'bench', file, '--quiet', '--json', json], {
    timeout: (SECONDS + 60) * 1000,
  }).catch((err) => {
    if (err.code !== 1 && err.code !== 3) throw err; // 1/3: thresholds or invalid, still a report
  });
  const report = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(json, 'utf8')));
  const s = report.phases.find((p) => p.name === 'sustain');
  return {
    tool: 'turnpike bench',
    requests: report.phases.reduce((n, p) => n + p.ok + p.errors, 0),
    rps: s.achievedRps,
    p50: s.corrected.p50,
    p99: s.corrected.p99,
    max: s.corrected.max,
    serviceP50: s.service.p50,
    serviceP99: s.service.p99,
    valid: report.generator.valid,
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

runBenchmark(main);
