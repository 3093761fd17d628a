// `npm run bench:ws`: eth_subscribe (newHeads + logs) over WebSocket at many connections, through
// a Turnpike cluster and against anvil directly, in one run. Checks that every connection got
// every block and every matching log exactly once, in order; measures delivery latency against
// when anvil announced the block, upstream calls per block, and idle memory per connection.
// See docs/benchmarks.md#benchws.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeTempDir, runBenchmark } from './lib/children.mjs';
import { startCountingProxy } from './lib/counting-proxy.mjs';
import { machineInfo } from './lib/machine.mjs';
import { freePort } from './lib/ports.mjs';
import { startTurnpike } from './lib/servers.mjs';
import { logFilters, referenceClient, startChain } from './lib/ws-chain.mjs';
import { startSubscribers } from './lib/ws-clients.mjs';
import { feedFigures } from './lib/ws-feed-metric.mjs';
import { runPhase, workerPids } from './lib/ws-phase.mjs';
import { printReport, verdict } from './lib/ws-report.mjs';

const BLOCK_TRACE = fileURLToPath(new URL('./lib/ws-block-trace.mjs', import.meta.url));

const USAGE = `usage: node benchmarks/ws.mjs [options]
  --connections N       subscribing connections per phase (default 10000)
  --duration S          seconds of mining per phase (default 600)
  --logs-per-block K    logs in each mined block (default 100)
  --match F             fraction of a block's logs each logs filter matches, 1 = all (default 0.05)
  --block-ms MS         one block every MS (default 1000)
  --workers W           Turnpike cluster workers (default 2)
  --head-poll-ms MS     the network's cache.headPollMs (default 100)
  --processes P         subscriber processes (default 4)
  --idle-ms MS          wait after subscribing before the idle memory reading (default 3000)
  --drain-ms MS         after the last block, wait at most this long for every socket to get it
                        (default 60000); what has not arrived by then counts as missing
  --upstream-json JSON  merged into Turnpike's upstream entry; {anvilWs} and {anvilHttp} are
                        replaced (e.g. '{"ws":"{anvilWs}"}' once upstream WebSocket heads exist)
  --node-args "ARGS"    Node flags for Turnpike (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
  --turnpike-root DIR   run the Turnpike built in DIR (its bin/ and dist/), e.g. another commit
                        for an A/B (default: this checkout)
  --no-direct           skip the anvil-direct phase
  --no-turnpike         skip the Turnpike phase
  --json [FILE]         the summary as JSON: to FILE, or as the last line of stdout`;

function options() {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '10000' },
      duration: { type: 'string', default: '600' },
      'logs-per-block': { type: 'string', default: '100' },
      match: { type: 'string', default: '0.05' },
      'block-ms': { type: 'string', default: '1000' },
      workers: { type: 'string', default: '2' },
      'head-poll-ms': { type: 'string', default: '100' },
      processes: { type: 'string', default: '4' },
      'idle-ms': { type: 'string', default: '3000' },
      'drain-ms': { type: 'string', default: '60000' },
      'upstream-json': { type: 'string', default: '{}' },
      'node-args': { type: 'string', default: '' },
      'turnpike-root': { type: 'string' },
      'no-direct': { type: 'boolean', default: false },
      'no-turnpike': { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    // `--json` alone (no file) is allowed: parseArgs wants a value, so it is rewritten below.
    args: process.argv
      .slice(2)
      .flatMap((arg, i, all) =>
        arg === '--json' && (all[i + 1] === undefined || all[i + 1].startsWith('--'))
          ? ['--json', '-']
          : [arg],
      ),
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name, { min = 0, integer = true } = {}) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value)))
      throw new Error(
        `--${name} ${values[name]}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}\n${USAGE}`,
      );
    return value;
  };
  const match = number('match', { integer: false });
  if (match <= 0 || match > 1) throw new Error(`--match ${values.match}: expected 0 < F ≤ 1`);
  return {
    connections: number('connections', { min: 1 }),
    duration: number('duration', { min: 1, integer: false }),
    logsPerBlock: number('logs-per-block', { min: 1 }),
    match,
    blockMs: number('block-ms', { min: 50 }),
    workers: number('workers', { min: 1 }),
    headPollMs: number('head-poll-ms', { min: 1 }),
    processes: number('processes', { min: 1 }),
    idleMs: number('idle-ms'),
    drainMs: number('drain-ms'),
    upstreamJson: values['upstream-json'],
    nodeArgs: values['node-args'].split(' ').filter(Boolean),
    turnpikeRoot: values['turnpike-root'],
    direct: !values['no-direct'],
    turnpike: !values['no-turnpike'],
    json: values.json,
  };
}

const log = (message) => process.stderr.write(`${message}\n`);

async function main() {
  const opts = options();
  const chain = await startChain();
  const proxy = await startCountingProxy(chain.url);
  const subscribers = await startSubscribers(opts.processes);
  const reference = await referenceClient(chain.wsUrl);
  const filters = logFilters(opts.logsPerBlock, opts.match);
  const ctx = { chain, subscribers, reference, proxy, filters, opts, log };
  const phases = [];
  try {
    if (opts.turnpike) {
      const upstream = JSON.parse(
        opts.upstreamJson.replaceAll('{anvilWs}', chain.wsUrl).replaceAll('{anvilHttp}', chain.url),
      );
      // Each worker appends its feed's per-block timings here (ws-block-trace.mjs).
      const traceDir = await makeTempDir();
      process.env.BENCH_WS_TRACE_DIR = traceDir;
      const tp = await startTurnpike({
        dir: await makeTempDir(),
        ...(opts.turnpikeRoot && { bin: resolve(opts.turnpikeRoot, 'bin/turnpike.js') }),
        port: await freePort(),
        workers: opts.workers,
        upstreams: [proxy.url],
        // e.g. --cpu-prof --cpu-prof-dir=/tmp/prof (cluster workers inherit Node flags).
        nodeArgs: ['--import', BLOCK_TRACE, ...opts.nodeArgs],
        extraConfig: {
          // Room for every connection on one worker (cluster balancing is not exact), and one
          // client IP holding them all.
          server: { maxConnections: opts.connections + 1_000 },
          realtime: {
            maxConnectionsPerIp: opts.connections + 100,
            maxConnectionsPerKey: opts.connections + 100,
          },
        },
        networkConfig: {
          upstreams: [{ url: proxy.url, ...upstream }],
          cache: { finality: 'depth', depth: 5, headPollMs: opts.headPollMs },
        },
      });
      const wsUrl = tp.url.replace(/^http/, 'ws');
      log(`turnpike: ${opts.workers} worker(s) at ${wsUrl}, upstream ${proxy.url} → ${chain.url}`);
      const phase = await runPhase(
        {
          name: 'turnpike',
          wsUrl,
          memoryPids: () => workerPids(tp.child.pid),
          metricsUrl: tp.metricsUrl,
          cpuRoot: tp.child.pid,
          traceDir,
        },
        ctx,
      );
      phase.feed = await feedFigures(tp.metricsUrl);
      phases.push(phase);
      await subscribers.reset();
    }
    if (opts.direct) {
      phases.push(
        await runPhase(
          {
            name: 'anvil-direct',
            wsUrl: chain.wsUrl,
            memoryPids: () => [chain.child.pid],
            cpuRoot: chain.child.pid,
          },
          { ...ctx, proxy: undefined },
        ),
      );
      await subscribers.reset();
    }
  } finally {
    reference.close();
    await subscribers.close();
    await proxy.close();
  }
  const summary = { machine: machineInfo(), options: opts, phases };
  printReport(summary, opts.json === '-' ? log : undefined);
  const result = verdict(summary);
  summary.verdict = result;
  if (opts.json === '-') process.stdout.write(`${JSON.stringify(summary)}\n`);
  else if (opts.json) await writeFile(opts.json, JSON.stringify(summary, null, 2));
  return result.pass ? 0 : 1;
}

runBenchmark(main);
