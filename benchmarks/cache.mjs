// `npm run bench:cache`: what does the cache buy? Two parts, both against a real anvil:
//
// 1. Hit throughput: Turnpike (all workers) answering a rotating set of historical requests that
//    are all cache hits, under wrk, against nginx as a keep-alive reverse proxy in front of the
//    nginx stub (the issue's "nginx reverse-proxy RPS") in the same rounds. Targets: ≥ 1.0 ×
//    nginx's RPS and ≤ 25 µs of Turnpike CPU per hit.
// 2. Read mix: 80 % repeated historical reads and 20 % tip reads, open loop at a fixed rate, the
//    same Turnpike with the cache off and on: upstream requests (from Turnpike's /metrics) must
//    drop ≥ 5 × and p99 must be no worse.
//
// Then, unless BENCH_CACHE_PROFILE_SECONDS=0, a CPU profile of one worker serving hits. See
// docs/benchmarks.md ("Cache").
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import {
  fillChain,
  historicalRequests,
  mixSequence,
  startAnvil,
  startBlockTime,
  tipRequests,
} from './lib/anvil-chain.mjs';
import { makeTempDir, runBenchmark, stopChild } from './lib/children.mjs';
import { largestProfile, monotonicUs, summarizeProfile } from './lib/cpu-profile.mjs';
import { cpuSplitMeter } from './lib/cpu-split.mjs';
import { envList, envNumber } from './lib/env.mjs';
import { assertJsonRpc, STUB_REPLY } from './lib/jsonrpc.mjs';
import { openLoop } from './lib/load.mjs';
import { machineInfo, nodeSpeedProbe, writeResult } from './lib/machine.mjs';
import { MAX_BACKGROUND_CORES, measureClosedLoop, undisturbed, waitForQuiet } from './lib/measure.mjs';
import { NGINX, nginxVersion, startNginxProxy, startNginxStub } from './lib/nginx.mjs';
import { perfUnavailable, removePerfFiles, startPerfRecord, summarizePerf } from './lib/perf-record.mjs';
import { freePort } from './lib/ports.mjs';
import { backgroundMeter } from './lib/proc-stats.mjs';
import { scrape, sumMetric } from './lib/prom.mjs';
import { fmt, table } from './lib/report.mjs';
import { medianOf } from './lib/rounds.mjs';
import { startHttp1Shell, startMemoryFloor, startTurnpike } from './lib/servers.mjs';
import { ensureTools } from './lib/tools.mjs';
import { runWrk, wrkVersion } from './lib/wrk.mjs';
import { writeWrkMixScript } from './lib/wrk-mix.mjs';

const quick = process.env.BENCH_QUICK === '1';
const cfg = {
  parts: envList('BENCH_CACHE_PARTS', ['hits', 'mix']),
  hitTargets: envList('BENCH_CACHE_HIT_TARGETS', ['direct', 'nginx', 'nginxTiny', 'floor', 'shell', 'hits']),
  rounds: Math.max(1, envNumber('BENCH_ROUNDS', quick ? 1 : 3)),
  // Closed loop (hits): wrk after a warm-up, like bench:proxy.
  seconds: envNumber('BENCH_SECONDS', quick ? 3 : 8),
  warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', quick ? 1 : 2),
  cooldownSeconds: envNumber('BENCH_COOLDOWN_SECONDS', quick ? 0.2 : 1),
  wrkThreads: envNumber('BENCH_THREADS', 2),
  wrkConnections: envNumber('BENCH_CONNECTIONS', 64),
  hitSet: envNumber('BENCH_CACHE_HIT_SET', 64),
  // Open loop (read mix).
  mixRate: envNumber('BENCH_CACHE_MIX_RATE', 1000),
  mixSeconds: envNumber('BENCH_CACHE_MIX_SECONDS', quick ? 5 : 15),
  mixWarmupSeconds: envNumber('BENCH_CACHE_MIX_WARMUP_SECONDS', quick ? 2 : 3),
  mixSet: envNumber('BENCH_CACHE_MIX_SET', 200),
  tipShare: envNumber('BENCH_CACHE_TIP_SHARE', 0.2),
  openConnections: envNumber('BENCH_OPEN_CONNECTIONS', 32),
  blocks: envNumber('BENCH_CACHE_BLOCKS', 200),
  blockTimeSeconds: envNumber('BENCH_CACHE_BLOCK_TIME', 1),
  /** Idle seconds over which the background upstream traffic (tracker, health) is counted. */
  idleSeconds: envNumber('BENCH_CACHE_IDLE_SECONDS', quick ? 3 : 10),
  /** Seconds of wrk while one worker is profiled; 0 = no profile. */
  profileSeconds: envNumber('BENCH_CACHE_PROFILE_SECONDS', quick ? 0 : 6),
  turnpikeWorkers: envNumber('BENCH_TURNPIKE_WORKERS', 0),
  quietWaitSeconds: envNumber('BENCH_QUIET_WAIT_SECONDS', quick ? 0 : 30),
  retries: envNumber('BENCH_RETRIES', quick ? 0 : 2),
};
const allWorkers = cfg.turnpikeWorkers || os.availableParallelism();

const NETWORK = 'bench';
/** anvil's `finalized` tag is genesis: finality by depth instead. */
const DEPTH = 5;
const CACHE_ON = { finality: 'depth', depth: DEPTH };
/**
 * Tip reads cached too: `latest` reads for one block time, the head polled every block, and
 * eth_blockNumber from the tracker (set here, whatever the default of the build is).
 */
const CACHE_TIP = { ...CACHE_ON, headPollMs: 1_000, tipTtlMs: 1_000, blockNumberMaxAgeMs: 2_000 };
/** No shared tier: a REDIS_URL in the environment must not turn one on. */
const TOP_LEVEL = { cache: { redis: false } };
/** Blocks below the head the historical sets stay under: final with margin. */
const FINAL_MARGIN = DEPTH + 5;

const HIT_TARGETS = {
  direct: 'nginx stub, direct (return 200, answers the size of the hits)',
  nginx: 'nginx keep-alive proxy → that stub (2 workers)',
  nginxTiny: `nginx keep-alive proxy → stub of ${STUB_REPLY.length}-byte answers`,
  floor: `node:net + Map lookup from memory (${allWorkers} processes)`,
  shell: `Turnpike's HTTP/1.1 server + Map lookup (${allWorkers} processes)`,
  hits: `Turnpike, ${allWorkers} workers, all cache hits`,
};
const MIX_TARGETS = {
  off: 'Turnpike, cache off',
  on: `Turnpike, cache on (depth ${DEPTH}, defaults)`,
  tip: 'Turnpike, cache on + tip caching',
};

const METRIC_ATTEMPTS = 'turnpike_upstream_attempts_total';
const METRIC_CACHE = 'turnpike_cache_requests_total';

const log = (message) => process.stderr.write(`${message}\n`);
/** Runs measured again because other processes were busy (see `undisturbed`). */
const retries = [];
const retryLog = (label) => (message) => {
  retries.push(`${label}: ${message.trim()}`);
  log(message);
};
const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const list = (values, digits) => values.map((v) => fmt(v, digits)).join(', ') || '–';
const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

/** Upstream attempts and cache results of a Turnpike, from its /metrics (summed over workers). */
async function upstreamCounters(server) {
  const text = await scrape(server.metricsUrl);
  if (text === null) throw new Error(`no /metrics at ${server.metricsUrl}`);
  const cacheResult = (result) =>
    sumMetric(
      text
        .split('\n')
        .filter((line) => line.includes(`result="${result}"`))
        .join('\n'),
      METRIC_CACHE,
    ) ?? 0;
  return {
    attempts: sumMetric(text, METRIC_ATTEMPTS) ?? 0,
    hits: cacheResult('hit'),
    misses: cacheResult('miss'),
    coalesced: cacheResult('coalesced'),
  };
}

const delta = (after, before) =>
  Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - before[key]]));

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, text, xCache: response.headers.get('x-cache') };
}

async function main() {
  const unknown = cfg.parts.filter((p) => !['hits', 'mix'].includes(p));
  if (unknown.length) throw new Error(`unknown BENCH_CACHE_PARTS ${unknown}; known: hits, mix`);
  await ensureTools({ nginxBin: NGINX, log });
  const dir = await makeTempDir();
  const machine = machineInfo({ nginx: await nginxVersion(), wrk: await wrkVersion() });
  log(`turnpike cache benchmark — ${machine.cpus} cores, ${machine.cpuModel}, node ${machine.node}`);

  const anvil = await startAnvil();
  const chain = await fillChain(anvil.url, { blocks: cfg.blocks });
  const maxBlock = chain.head - FINAL_MARGIN;
  log(
    `anvil: ${chain.txs.length} transactions in blocks ${chain.firstBlock}–${chain.head}; ` +
      `historical reads at blocks ≤ ${maxBlock} (final at depth ${DEPTH})`,
  );

  const out = { machine, config: cfg, chain: { head: chain.head, transactions: chain.txs.length } };
  const speedProbes = [];
  if (cfg.parts.includes('hits')) out.hits = await hitPart({ dir, anvil, chain, maxBlock, speedProbes });
  if (cfg.parts.includes('mix')) out.mix = await mixPart({ dir, anvil, chain, maxBlock, speedProbes });
  if (cfg.profileSeconds > 0 && out.hits)
    out.profile = await profileHits({
      dir,
      anvil,
      bodies: out.hits.bodies,
      answersFile: out.hits.answersFile,
    }).catch((err) => {
      log(`  ✗ profile failed: ${err.message}`);
      return { error: err.message };
    });
  out.speedProbes = speedProbes;
  out.retries = retries;
  out.checks = evaluate(out);
  printReport(out);
  const path = await writeResult('cache', out);
  console.log(`\nresults written to ${path}`);
  const broken = [out.hits?.error, out.mix?.error].filter(Boolean);
  return broken.length ? 1 : 0;
}

// ── Part 1: hit throughput ────────────────────────────────────────────────────────────────────

async function hitPart({ dir, anvil, chain, maxBlock, speedProbes }) {
  const requests = historicalRequests(chain, {
    count: cfg.hitSet,
    maxBlock,
    kinds: ['block', 'balance', 'call'],
  });
  const bodies = requests.map((r) => r.body);
  const script = await writeWrkMixScript(dir, bodies, 'hits');
  log(
    `\nhit throughput: ${bodies.length} distinct historical requests (eth_getBlockByNumber(n, false), ` +
      `eth_getBalance(addr, n), eth_call at n) cycled by wrk ${cfg.wrkThreads}×${cfg.wrkConnections}, ` +
      `${cfg.seconds}s after ${cfg.warmupSeconds}s warm-up, ${cfg.rounds} round(s)`,
  );

  // The floor answers what anvil answers, looked up by the exact request body.
  const answers = {};
  for (const body of bodies) answers[body] = (await post(anvil.url, body)).text;
  const answersFile = join(dir, 'answers.json');
  await writeFile(answersFile, JSON.stringify(answers));
  // A proxy hop's cost grows with the bytes it relays: the baseline stub answers as many bytes as
  // the hits do on average (the tiny stub, the former baseline, is measured alongside).
  const stubReply = replyOfSize(meanLength(Object.values(answers)));
  const stubPort = await freePort();
  const stub = await startNginxStub({ port: stubPort, statusPort: await freePort(), reply: stubReply });
  await assertJsonRpc(stub.url, 'nginx stub');
  const proxy = await startNginxProxy({ port: await freePort(), upstreamPort: stubPort });
  await assertJsonRpc(proxy.url, 'nginx proxy');
  const tinyStubPort = await freePort();
  const tinyStub = await startNginxStub({ port: tinyStubPort, statusPort: await freePort() });
  const tinyProxy = await startNginxProxy({ port: await freePort(), upstreamPort: tinyStubPort });
  await assertJsonRpc(tinyProxy.url, 'nginx proxy → tiny stub');
  const turnpike = await startTurnpike({
    dir,
    port: await freePort(),
    workers: allWorkers,
    upstreams: [anvil.url],
    network: NETWORK,
    extraConfig: TOP_LEVEL,
    networkConfig: { cache: CACHE_ON },
  });
  const floor = await startMemoryFloor({ port: await freePort(), answersFile, workers: allWorkers });
  const floorCheck = await post(floor.url, bodies[0]);
  if (floorCheck.status !== 200 || floorCheck.text !== answers[bodies[0]])
    throw new Error(`memory floor answered ${floorCheck.status} ${floorCheck.text.slice(0, 100)}`);
  const shell = await startHttp1Shell({ port: await freePort(), answersFile, workers: allWorkers });
  const shellCheck = await post(shell.url, bodies[0]);
  if (shellCheck.status !== 200 || shellCheck.text !== answers[bodies[0]])
    throw new Error(`HTTP/1.1 shell answered ${shellCheck.status} ${shellCheck.text.slice(0, 100)}`);
  const everyServer = {
    direct: { child: stub.child, url: stub.url },
    nginx: proxy,
    nginxTiny: tinyProxy,
    floor,
    shell,
    hits: turnpike,
  };
  const servers = Object.fromEntries(
    Object.entries(everyServer).filter(([key]) => cfg.hitTargets.includes(key)),
  );

  const result = { bodies, answersFile, stubBytes: stubReply.length, rounds: [], check: null };
  try {
    result.check = await warmHits(turnpike, bodies, script);
    log(
      `  warm: ${result.check.hit}/${bodies.length} answered X-Cache: HIT on one connection; ` +
        `responses ${fmt(result.check.meanBytes)} bytes on average (the stub's: ${stubReply.length}; the tiny stub's: ${STUB_REPLY.length})`,
    );
    if (result.check.hit !== bodies.length)
      throw new Error(`after warm-up only ${result.check.hit} of ${bodies.length} were hits`);
    for (let round = 1; round <= cfg.rounds; round++) {
      if (cfg.quietWaitSeconds > 0) await waitForQuiet(cfg.quietWaitSeconds);
      const probe = nodeSpeedProbe();
      speedProbes.push(probe);
      log(`\n■ hits, round ${round} of ${cfg.rounds} (Node speed probe: ${fmt(probe, 0)} ns)`);
      const figures = {};
      for (const key of Object.keys(servers)) {
        figures[key] = await measureHitTarget(key, servers[key], script);
      }
      result.rounds.push(figures);
    }
  } catch (err) {
    log(`  ✗ hit throughput failed: ${err.message}`);
    result.error = err.message;
  } finally {
    await stopChild(turnpike.child);
    await stopChild(floor.child);
    await stopChild(shell.child);
    await stopChild(proxy.child);
    await stopChild(stub.child);
    await stopChild(tinyProxy.child);
    await stopChild(tinyStub.child);
  }
  return result;
}

/**
 * Warms every worker's cache (wrk over the whole set), then checks on one connection that each
 * request comes back as X-Cache: HIT with a JSON-RPC result.
 */
function meanLength(texts) {
  return texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / texts.length;
}

/** A JSON-RPC success of `bytes` bytes (at least the tiny stub's): a hex result of that length. */
function replyOfSize(bytes) {
  const frame = '{"jsonrpc":"2.0","id":1,"result":"0x"}'.length;
  return `{"jsonrpc":"2.0","id":1,"result":"0x${'0'.repeat(Math.max(1, Math.round(bytes) - frame))}"}`;
}

async function warmHits(turnpike, bodies, script) {
  // One pass first, so the chain tracker has started and knows what is final.
  for (let pass = 0; pass < 3; pass++) {
    for (const body of bodies) await post(turnpike.url, body);
    await sleep(0.5);
  }
  await runWrk({
    url: turnpike.url,
    script,
    threads: cfg.wrkThreads,
    connections: cfg.wrkConnections,
    seconds: 2,
  });
  let hit = 0;
  let bytes = 0;
  const statuses = {};
  for (const body of bodies) {
    const reply = await post(turnpike.url, body);
    const parsed = JSON.parse(reply.text);
    if (reply.status !== 200 || !('result' in parsed))
      throw new Error(`not a result: ${reply.text.slice(0, 200)}`);
    statuses[reply.xCache] = (statuses[reply.xCache] ?? 0) + 1;
    if (reply.xCache === 'HIT') hit++;
    bytes += Buffer.byteLength(reply.text);
  }
  return { hit, statuses, meanBytes: bytes / bodies.length };
}

async function measureHitTarget(key, server, script) {
  const label = HIT_TARGETS[key];
  try {
    const isTurnpike = key === 'hits';
    const run = await undisturbed(
      async () => {
        // The warm-up runs outside the counted window, so the counters cover the timed run only.
        if (cfg.warmupSeconds > 0)
          await runWrk({
            url: server.url,
            script,
            threads: cfg.wrkThreads,
            connections: cfg.wrkConnections,
            seconds: cfg.warmupSeconds,
          });
        const before = isTurnpike ? await upstreamCounters(server) : null;
        const split = cpuSplitMeter(server.child.pid);
        const closed = await measureClosedLoop({
          url: server.url,
          pid: server.child.pid,
          stubStatusUrl: null,
          script,
          cfg: { ...cfg, warmupSeconds: 0, cooldownSeconds: 0 },
        });
        const { userSeconds, systemSeconds } = split();
        closed.userUsPerRequest = (userSeconds * 1e6) / closed.requests;
        closed.systemUsPerRequest = (systemSeconds * 1e6) / closed.requests;
        const after = isTurnpike ? await upstreamCounters(server) : null;
        await sleep(cfg.cooldownSeconds);
        return { ...closed, counters: isTurnpike ? { before, after, delta: delta(after, before) } : null };
      },
      cfg,
      retryLog(label),
    );
    const { counters } = run;
    const upstream = counters
      ? `; upstream attempts ${fmt(counters.before.attempts)} → ${fmt(counters.after.attempts)} (+${fmt(counters.delta.attempts)}), cache misses +${fmt(counters.delta.misses)}`
      : '';
    log(
      `  ${label}: ${fmt(run.rps)} RPS, p99 ${fmt(run.p99Ms, 2)} ms, ${fmt(run.cpuUsPerRequest, 1)} µs CPU/req ` +
        `(user ${fmt(run.userUsPerRequest, 1)}, kernel ${fmt(run.systemUsPerRequest, 1)})` +
        `${run.disturbed ? ` (disturbed: ${fmt(run.backgroundCores, 2)} cores)` : ''}${upstream}`,
    );
    return run;
  } catch (err) {
    log(`  ✗ ${label} failed: ${err.message}`);
    return { error: err.message };
  }
}

// ── Part 2: read mix, cache off vs on ────────────────────────────────────────────────────────

async function mixPart({ dir, anvil, chain, maxBlock, speedProbes }) {
  const historical = historicalRequests(chain, {
    count: cfg.mixSet,
    maxBlock,
    kinds: ['block', 'balance', 'call', 'receipt'],
    seed: 13,
  });
  const tip = tipRequests(chain);
  // Long enough that no sequence repeats within a run (rate × seconds), prime so it never aligns.
  const sequence = mixSequence({
    historical,
    tip,
    length: Math.max(10_007, Math.ceil(cfg.mixRate * (cfg.mixSeconds + 1))),
    tipShare: cfg.tipShare,
  });
  const bodiesFile = join(dir, 'mix.json');
  await writeFile(bodiesFile, JSON.stringify(sequence));
  const tipCount = sequence.classes.filter((c) => c === 'tip').length;
  log(
    `\nread mix: ${historical.length} historical requests (blocks, balances, eth_call, receipts of final ` +
      `blocks) drawn uniformly, ${fmt((100 * tipCount) / sequence.classes.length, 1)} % tip reads ` +
      `(${tip.map((t) => t.kind).join(', ')}); open loop ${fmt(cfg.mixRate)} RPS for ${cfg.mixSeconds}s ` +
      `after ${cfg.mixWarmupSeconds}s warm-up, ${cfg.openConnections} connections; anvil mines every ${cfg.blockTimeSeconds}s`,
  );
  await startBlockTime(anvil.url, cfg.blockTimeSeconds);

  const configs = { off: { enabled: false }, on: CACHE_ON, tip: CACHE_TIP };
  const servers = {};
  const result = { configs, rounds: [], idle: {} };
  try {
    for (const [key, cache] of Object.entries(configs)) {
      servers[key] = await startTurnpike({
        dir,
        port: await freePort(),
        workers: allWorkers,
        upstreams: [anvil.url],
        network: NETWORK,
        extraConfig: TOP_LEVEL,
        networkConfig: { cache },
      });
      await assertJsonRpc(servers[key].url, MIX_TARGETS[key]);
    }
    // Start every worker's tracker (a historical read does; a short burst over several
    // connections reaches every worker), then count the upstream traffic of the idle gateways:
    // chain-tracker polls and health probes, which also run under load.
    for (const server of Object.values(servers))
      await openLoop({ url: server.url, rate: 200, seconds: 1, connections: 8, bodiesFile });
    await sleep(2);
    const before = {};
    for (const [key, server] of Object.entries(servers)) before[key] = await upstreamCounters(server);
    await sleep(cfg.idleSeconds);
    for (const [key, server] of Object.entries(servers)) {
      const attempts = (await upstreamCounters(server)).attempts - before[key].attempts;
      result.idle[key] = { attempts, perSecond: attempts / cfg.idleSeconds };
    }
    log(
      `  idle upstream traffic (tracker polls, health probes): ${Object.entries(result.idle)
        .map(([key, idle]) => `${key} ${fmt(idle.perSecond, 1)}/s`)
        .join(', ')}`,
    );

    for (let round = 1; round <= cfg.rounds; round++) {
      if (cfg.quietWaitSeconds > 0) await waitForQuiet(cfg.quietWaitSeconds);
      const probe = nodeSpeedProbe();
      speedProbes.push(probe);
      log(`\n■ mix, round ${round} of ${cfg.rounds} (Node speed probe: ${fmt(probe, 0)} ns)`);
      // Odd rounds off first, even rounds on first: drift within a round favours neither.
      const order = round % 2 === 1 ? ['off', 'on', 'tip'] : ['tip', 'on', 'off'];
      const figures = {};
      for (const key of order) figures[key] = await measureMixTarget(key, servers[key], bodiesFile);
      result.rounds.push(figures);
    }
  } catch (err) {
    log(`  ✗ read mix failed: ${err.message}`);
    result.error = err.message;
  } finally {
    for (const server of Object.values(servers)) await stopChild(server.child);
  }
  return result;
}

async function measureMixTarget(key, server, bodiesFile) {
  const label = MIX_TARGETS[key];
  const options = {
    url: server.url,
    rate: cfg.mixRate,
    connections: cfg.openConnections,
    bodiesFile,
  };
  try {
    const run = await undisturbed(
      async () => {
        // Warm-up as its own run, so the counters below cover the measured seconds only.
        if (cfg.mixWarmupSeconds > 0) await openLoop({ ...options, seconds: cfg.mixWarmupSeconds });
        const before = await upstreamCounters(server);
        const background = backgroundMeter(process.pid);
        const open = await openLoop({ ...options, seconds: cfg.mixSeconds });
        const backgroundCores = background();
        const after = await upstreamCounters(server);
        await sleep(cfg.cooldownSeconds);
        return { ...open, backgroundCores, upstream: delta(after, before) };
      },
      cfg,
      retryLog(label),
    );
    const perK = (1000 * run.upstream.attempts) / run.sent;
    log(
      `  ${label}: p50 ${fmt(run.latencyMs.p50, 3)} ms, p99 ${fmt(run.latencyMs.p99, 3)} ms; upstream ` +
        `${fmt(run.upstream.attempts)} (${fmt(perK, 1)} per 1,000 requests), cache hit/miss/coalesced ` +
        `${fmt(run.upstream.hits)}/${fmt(run.upstream.misses)}/${fmt(run.upstream.coalesced)}` +
        `${run.valid ? '' : ` INVALID: ${run.invalid.join('; ')}`}` +
        `${run.disturbed ? ` (disturbed: ${fmt(run.backgroundCores, 2)} cores)` : ''}`,
    );
    return run;
  } catch (err) {
    log(`  ✗ ${label} failed: ${err.message}`);
    return { error: err.message };
  }
}

// ── CPU profile of one worker serving hits ──────────────────────────────────────────────────

async function profileHits({ dir, anvil, bodies, answersFile }) {
  const profileDir = join(dir, 'cpu-profile');
  await mkdir(profileDir, { recursive: true });
  const noPerf = await perfUnavailable();
  log(
    `\nCPU profile: Turnpike with 1 worker (in-process) serving the same hits, ${cfg.profileSeconds}s under wrk; ` +
      `node --cpu-prof${noPerf ? ` (${noPerf})` : ', and perf record (on-CPU samples) of it and of the floor'}`,
  );
  const script = await writeWrkMixScript(dir, bodies, 'profile');
  const server = await startTurnpike({
    dir,
    port: await freePort(),
    workers: 1,
    upstreams: [anvil.url],
    network: NETWORK,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir, ...(noPerf ? [] : ['--perf-basic-prof'])],
    extraConfig: TOP_LEVEL,
    networkConfig: { cache: CACHE_ON },
  });
  let run;
  const window = {};
  try {
    await warmHits(server, bodies, script);
    run = await profiledRun(server, script, noPerf, join(dir, 'perf-turnpike.data'), window);
  } finally {
    // A graceful stop: the process exits through process.exit and writes its profile.
    await stopChild(server.child, 30_000);
    await removePerfFiles(join(dir, 'perf-turnpike.data'), server.child.pid);
  }
  const path = await largestProfile(profileDir);
  if (!path) throw new Error('no .cpuprofile written');
  const summary = await summarizeProfile(path, { top: 25, window });

  // The same on-CPU view of the floor (1 process), for what the kernel and Node cost anyway.
  let floor = null;
  if (!noPerf) {
    const server = await startMemoryFloor({ port: await freePort(), answersFile, workers: 1 });
    try {
      await runWrk({
        url: server.url,
        script,
        threads: cfg.wrkThreads,
        connections: cfg.wrkConnections,
        seconds: 2,
      });
      floor = await profiledRun(server, script, noPerf, join(dir, 'perf-floor.data'), {});
    } finally {
      await stopChild(server.child);
      await removePerfFiles(join(dir, 'perf-floor.data'), server.child.pid);
    }
  }
  return { ...run, ...summary, floor };
}

/**
 * One timed wrk run of a single-process server with CPU split (user/kernel) and, when perf
 * works, on-CPU samples. Fills `window` with the run's monotonic bounds (for the V8 profile).
 */
async function profiledRun(server, script, noPerf, perfData, window) {
  if (cfg.quietWaitSeconds > 0) await waitForQuiet(cfg.quietWaitSeconds);
  const recorder = noPerf ? null : startPerfRecord(server.child.pid, perfData);
  if (recorder) await sleep(0.3); // perf attaches
  const split = cpuSplitMeter(server.child.pid);
  window.fromUs = monotonicUs();
  const run = await measureClosedLoop({
    url: server.url,
    pid: server.child.pid,
    stubStatusUrl: null,
    script,
    cfg: { ...cfg, seconds: cfg.profileSeconds, warmupSeconds: 0, cooldownSeconds: 0 },
  });
  window.toUs = monotonicUs();
  const { userSeconds, systemSeconds } = split();
  let perf = { error: noPerf };
  if (recorder) {
    await recorder.stop();
    perf = await summarizePerf(perfData, { top: 25 }).catch((err) => ({ error: err.message }));
  }
  return {
    rps: run.rps,
    requests: run.requests,
    cpuUsPerRequest: run.cpuUsPerRequest,
    userUsPerRequest: (userSeconds * 1e6) / run.requests,
    systemUsPerRequest: (systemSeconds * 1e6) / run.requests,
    backgroundCores: run.backgroundCores,
    perf,
  };
}

// ── Checks and report ────────────────────────────────────────────────────────────────────────

function hitFigures(hits) {
  const rounds = hits?.rounds ?? [];
  const ok = (r, k) => r[k] && !r[k].error;
  return {
    ratio: rounds.filter((r) => ok(r, 'hits') && ok(r, 'nginx')).map((r) => r.hits.rps / r.nginx.rps),
    tinyRatio: rounds
      .filter((r) => ok(r, 'hits') && ok(r, 'nginxTiny'))
      .map((r) => r.hits.rps / r.nginxTiny.rps),
    floorRatio: rounds.filter((r) => ok(r, 'floor') && ok(r, 'nginx')).map((r) => r.floor.rps / r.nginx.rps),
    hitsOverFloor: rounds.filter((r) => ok(r, 'hits') && ok(r, 'floor')).map((r) => r.hits.rps / r.floor.rps),
    floorCpu: rounds.filter((r) => ok(r, 'floor')).map((r) => r.floor.cpuUsPerRequest),
    shellCpu: rounds.filter((r) => ok(r, 'shell')).map((r) => r.shell.cpuUsPerRequest),
    directRatio: rounds.filter((r) => ok(r, 'hits') && ok(r, 'direct')).map((r) => r.hits.rps / r.direct.rps),
    cpu: rounds.filter((r) => ok(r, 'hits')).map((r) => r.hits.cpuUsPerRequest),
    nginxCpu: rounds.filter((r) => ok(r, 'nginx')).map((r) => r.nginx.cpuUsPerRequest),
  };
}

function mixFigures(mix, key) {
  const rounds = (mix?.rounds ?? []).filter((r) => r.off && !r.off.error && r[key] && !r[key].error);
  return {
    reduction: rounds.map((r) => r.off.upstream.attempts / r[key].upstream.attempts),
    addedP99: rounds.map((r) => r[key].latencyMs.p99 - r.off.latencyMs.p99),
    addedP50: rounds.map((r) => r[key].latencyMs.p50 - r.off.latencyMs.p50),
    invalid: rounds.some((r) => !r.off.valid || !r[key].valid),
  };
}

function check(name, value, unit, goal, passes, { invalid = false } = {}) {
  let status = 'SKIP';
  if (isNumber(value)) status = invalid ? 'INVALID' : passes(value) ? 'PASS' : 'FAIL';
  return { name, value: isNumber(value) ? value : null, unit, goal, status };
}

function evaluate(out) {
  const checks = [];
  if (out.hits) {
    const h = hitFigures(out.hits);
    checks.push(
      check('Turnpike cache hits RPS ÷ nginx proxy RPS', medianOf(h.ratio), '×', '≥ 1.0', (v) => v >= 1),
      check('Turnpike CPU per hit (all workers)', medianOf(h.cpu), 'µs', '≤ 25', (v) => v <= 25),
    );
  }
  if (out.mix) {
    for (const key of ['on', 'tip']) {
      const m = mixFigures(out.mix, key);
      checks.push(
        check(`upstream requests off ÷ ${key}`, medianOf(m.reduction), '×', '≥ 5', (v) => v >= 5),
        check(`p99 ${key} − off (open loop)`, medianOf(m.addedP99), 'ms', '≤ 0', (v) => v <= 0, {
          invalid: m.invalid,
        }),
      );
    }
  }
  return checks;
}

function printReport(out) {
  if (out.hits?.rounds?.length) {
    const { rounds } = out.hits;
    console.log(
      `\nHit throughput: closed loop (wrk ${cfg.wrkThreads}×${cfg.wrkConnections}, ${cfg.seconds}s), ` +
        `${out.hits.bodies.length} rotating requests; per round RPS @ CPU µs/req`,
    );
    const measured = Object.entries(HIT_TARGETS).filter(([key]) => rounds.some((r) => r[key] !== undefined));
    const rows = measured.map(([key, label]) => {
      const runs = rounds.map((r) => r[key]).filter((r) => r && !r.error);
      return [
        label,
        ...rounds.map((r) =>
          r[key]?.error
            ? 'error'
            : `${fmt(r[key].rps)} @ ${fmt(r[key].cpuUsPerRequest, 1)}${r[key].disturbed ? ' ⚠' : ''}`,
        ),
        fmt(medianOf(runs.map((r) => r.rps))),
        fmt(medianOf(runs.map((r) => r.cpuUsPerRequest)), 1),
        fmt(medianOf(runs.map((r) => r.userUsPerRequest)), 1),
        fmt(medianOf(runs.map((r) => r.systemUsPerRequest)), 1),
        fmt(medianOf(runs.map((r) => r.p99Ms)), 2),
        fmt(runs.reduce((s, r) => s + r.errors, 0)),
        fmt(Math.max(...runs.map((r) => r.backgroundCores)), 2),
      ];
    });
    console.log(
      table(
        [
          'target',
          ...rounds.map((_, i) => `round ${i + 1}`),
          'median RPS',
          'CPU µs/req',
          'user µs',
          'kernel µs',
          'p99 ms',
          'errors',
          'bg cores',
        ],
        rows,
      ),
    );
    const h = hitFigures(out.hits);
    console.log(
      `Per round: hits ÷ nginx proxy ${list(h.ratio, 2)} (÷ the proxy of tiny answers ${list(h.tinyRatio, 2)}); hits ÷ direct stub ${list(h.directRatio, 2)}`,
    );
    console.log(
      `           floor ÷ nginx proxy ${list(h.floorRatio, 2)}; hits ÷ floor ${list(h.hitsOverFloor, 2)}; ` +
        `floor CPU/req ${list(h.floorCpu, 1)} µs; HTTP/1.1 shell CPU/req ${list(h.shellCpu, 1)} µs`,
    );
    const counters = rounds.map((r) => r.hits?.counters).filter(Boolean);
    console.log(
      `Upstream (anvil) attempts during the timed hit runs: ${counters
        .map((c) => `${fmt(c.before.attempts)} → ${fmt(c.after.attempts)} (+${fmt(c.delta.attempts)})`)
        .join(', ')}; cache misses during them: ${list(
        counters.map((c) => c.delta.misses),
        0,
      )}; hits counted: ${list(
        counters.map((c) => c.delta.hits),
        0,
      )} (head polls alone: ≈ ${fmt((allWorkers * cfg.seconds * 1000) / 2_000)} per run, ${allWorkers} trackers every 2 s)`,
    );
    console.log(
      `Mean response: ${fmt(out.hits.check.meanBytes)} bytes from Turnpike, ${fmt(out.hits.stubBytes)} bytes from the stub, ${STUB_REPLY.length} from the tiny stub`,
    );
  }
  if (out.mix?.rounds?.length) {
    const { rounds, idle } = out.mix;
    console.log(
      `\nRead mix: open loop ${fmt(cfg.mixRate)} RPS for ${cfg.mixSeconds}s, ${100 - cfg.tipShare * 100} % historical / ` +
        `${cfg.tipShare * 100} % tip; medians over ${rounds.length} round(s); latency in ms from intended send time`,
    );
    const rows = Object.entries(MIX_TARGETS).map(([key, label]) => {
      const runs = rounds.map((r) => r[key]).filter((r) => r && !r.error);
      const m = (pick, digits) => fmt(medianOf(runs.map(pick)), digits);
      return [
        label,
        m((r) => r.completedRps, 0),
        m((r) => r.latencyMs.p50, 3),
        m((r) => r.latencyMs.p99, 3),
        m((r) => r.latencyMs.p999, 3),
        m((r) => r.byClass?.historical?.p99, 3),
        m((r) => r.byClass?.tip?.p99, 3),
        list(
          runs.map((r) => r.upstream.attempts),
          0,
        ),
        m((r) => (1000 * r.upstream.attempts) / r.sent, 1),
        fmt(idle[key]?.perSecond * cfg.mixSeconds, 0),
        m((r) => r.upstream.hits, 0),
        m((r) => r.upstream.misses, 0),
        fmt(runs.reduce((s, r) => s + r.errors.total, 0)),
        runs.every((r) => r.valid) ? 'yes' : 'NO',
        fmt(Math.max(...runs.map((r) => r.backgroundCores)), 2),
      ];
    });
    console.log(
      table(
        [
          'configuration',
          'done RPS',
          'p50',
          'p99',
          'p99.9',
          'hist p99',
          'tip p99',
          'upstream per round',
          'per 1k req',
          'of which idle-rate',
          'cache hits',
          'misses',
          'errors',
          'valid',
          'bg cores',
        ],
        rows,
      ),
    );
    for (const key of ['on', 'tip']) {
      const m = mixFigures(out.mix, key);
      console.log(
        `Per round, ${key}: upstream off ÷ ${key} ${list(m.reduction, 1)}; p99 ${key} − off ${list(m.addedP99, 3)} ms; ` +
          `p50 ${key} − off ${list(m.addedP50, 3)} ms`,
      );
    }
    console.log(
      `Configurations: on = networks.${NETWORK}.cache ${JSON.stringify(CACHE_ON)}; tip = ${JSON.stringify(CACHE_TIP)}`,
    );
  }
  if (out.profile && !out.profile.error) {
    const p = out.profile;
    console.log(
      `\nCPU profile of 1 worker serving hits: ${fmt(p.rps)} RPS, ${fmt(p.cpuUsPerRequest, 1)} µs CPU/req ` +
        `(user ${fmt(p.userUsPerRequest, 1)}, kernel ${fmt(p.systemUsPerRequest, 1)}); profile ` +
        `${p.windowed ? 'of the timed run only' : '(whole process, could not window it)'}: busy ${fmt(p.busyMs)} ms, ` +
        `${fmt((p.busyMs * 1000) / p.requests, 1)} µs per hit (wall-clock samples: time the worker was ` +
        `descheduled lands on the function it was in, mostly socket writes that woke wrk)`,
    );
    const share = (rows) => rows.map((r) => [r.name, fmt(r.ms, 0), `${fmt(r.share * 100, 1)} %`]);
    console.log(table(['area (self time)', 'ms', 'share'], share(p.areas.slice(0, 12))));
    console.log(table(['function (self time)', 'ms', 'share'], share(p.self)));
    console.log(table(['Turnpike function (inclusive)', 'ms', 'share'], share(p.inclusive)));
    if (p.perf?.areas) {
      const f = p.floor?.perf?.areas ? p.floor : null;
      const perReq = (run, share) =>
        share === undefined ? '–' : `${fmt(share * run.cpuUsPerRequest, 1)} µs`;
      const pct = (share) => (share === undefined ? '–' : `${fmt(share * 100, 1)} %`);
      console.log(
        `\nOn-CPU samples (perf record -e cpu-clock), µs per request = share × CPU per request. ` +
          `Turnpike 1 worker: ${fmt(p.cpuUsPerRequest, 1)} µs (user ${fmt(p.userUsPerRequest, 1)}, kernel ${fmt(p.systemUsPerRequest, 1)})` +
          (f
            ? `; floor (node:net + Map, 1 process, ${fmt(f.rps)} RPS): ${fmt(f.cpuUsPerRequest, 1)} µs ` +
              `(user ${fmt(f.userUsPerRequest, 1)}, kernel ${fmt(f.systemUsPerRequest, 1)})`
            : ''),
      );
      const areaNames = [...new Set([...p.perf.areas, ...(f?.perf.areas ?? [])].map((a) => a.name))];
      const areaShare = (run, name) => run?.perf.areas.find((a) => a.name === name)?.share;
      console.log(
        table(
          ['where', 'Turnpike share', 'per hit', 'floor share', 'per request'],
          areaNames.map((name) => [
            name,
            pct(areaShare(p, name)),
            perReq(p, areaShare(p, name)),
            pct(areaShare(f, name)),
            f ? perReq(f, areaShare(f, name)) : '–',
          ]),
        ),
      );
      const symbolShare = (run, name) => run?.perf.symbols.find((a) => a.name === name)?.share;
      console.log(
        table(
          ['Turnpike symbol', 'share', 'per hit', 'floor per request (if in its top 25)'],
          p.perf.symbols.map((a) => [
            a.name.slice(0, 100),
            pct(a.share),
            perReq(p, a.share),
            f ? perReq(f, symbolShare(f, a.name)) : '–',
          ]),
        ),
      );
    } else if (p.perf?.error) console.log(`(no perf samples: ${p.perf.error})`);
  }
  console.log(
    `\nNode speed probe (ns per JSON round trip; higher = slower machine): ${list(out.speedProbes, 0)}`,
  );
  console.log(`\nTargets\n${checksTable(out.checks)}`);
  const disturbed = [];
  for (const [part, targets] of [
    ['hits', HIT_TARGETS],
    ['mix', MIX_TARGETS],
  ]) {
    out[part]?.rounds?.forEach((round, i) => {
      for (const [key, run] of Object.entries(round))
        if (run?.disturbed || run?.backgroundCores > MAX_BACKGROUND_CORES)
          disturbed.push(
            `${part} round ${i + 1}, ${targets[key]}: other processes used ${fmt(run.backgroundCores, 2)} cores`,
          );
    });
  }
  for (const line of disturbed) console.log(`⚠ ${line} — rerun on a quiet machine`);
  if (!disturbed.length) console.log('No kept run was disturbed by other processes (all ≤ 0.15 cores).');
  if (retries.length)
    console.log(
      `${retries.length} run(s) were repeated because other processes were busy:\n  ${retries.join('\n  ')}`,
    );
  for (const part of ['hits', 'mix'])
    if (out[part]?.error) console.log(`\n${part} could not be measured: ${out[part].error}`);
}

function checksTable(checks) {
  const digits = { '×': 2, ms: 3, µs: 1 };
  return table(
    ['target', 'measured', 'goal', 'result'],
    checks.map((c) => [
      c.name,
      `${fmt(c.value, digits[c.unit] ?? 2)} ${c.unit}`,
      `${c.goal} ${c.unit}`,
      c.status,
    ]),
  );
}

runBenchmark(main);
