// One measurement of one target: closed-loop max throughput (wrk) with server CPU per request,
// and open-loop latency at a fixed rate. The server must already be running.
import { openLoop } from './load.mjs';
import { stubRequestCount } from './nginx.mjs';
import { backgroundMeter, cpuMeter } from './proc-stats.mjs';
import { runWrk } from './wrk.mjs';

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Foreign CPU (in cores) above which a run is considered disturbed by other work on the machine. */
export const MAX_BACKGROUND_CORES = 0.15;

/** Waits (up to `timeoutSeconds`) for a second in which other processes use little CPU. */
export async function waitForQuiet(timeoutSeconds) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    const background = backgroundMeter(process.pid);
    await sleep(1);
    if (background() <= MAX_BACKGROUND_CORES) return true;
  }
  return false;
}

/**
 * On a shared machine another job may burst mid-run: repeat a measurement (up to
 * `cfg.retries` times, each after waiting for quiet) while it was disturbed, and keep the
 * least disturbed attempt.
 */
export async function undisturbed(measure, cfg, log = () => {}) {
  let best = null;
  for (let attempt = 0; attempt <= cfg.retries; attempt++) {
    if (cfg.quietWaitSeconds > 0) await waitForQuiet(cfg.quietWaitSeconds);
    const result = await measure();
    if (result.backgroundCores <= MAX_BACKGROUND_CORES) return result;
    if (!best || result.backgroundCores < best.backgroundCores) best = result;
    if (attempt < cfg.retries) {
      log(`  other processes used ${result.backgroundCores.toFixed(2)} cores meanwhile; measuring again`);
    }
  }
  return { ...best, disturbed: true };
}

/**
 * wrk at maximum rate. `pid` is the server's root process: its CPU and that of all its
 * descendants (cluster or nginx workers) is charged to the requests wrk completed.
 * With `stubStatusUrl`, also counts how many requests reached the upstream stub.
 * With `tally` (see tenancy.mjs), adds every response wrk counted, warm-up included.
 */
export async function measureClosedLoop({ url, pid, stubStatusUrl, script, cfg, tally }) {
  const wrkOptions = { url, script, threads: cfg.wrkThreads, connections: cfg.wrkConnections };
  if (cfg.warmupSeconds > 0) {
    const warmup = await runWrk({ ...wrkOptions, seconds: cfg.warmupSeconds });
    if (tally) {
      tally.wrkRuns++;
      tally.wrkWarmup += warmup.requests;
      tally.wrkNon2xx += warmup.non2xx;
      tally.wrkSocketErrors += warmup.socketErrors;
    }
  }

  const stubBefore = stubStatusUrl ? await stubRequestCount(stubStatusUrl) : 0;
  const background = backgroundMeter(process.pid);
  const cpu = cpuMeter(pid);
  const wrk = await runWrk({ ...wrkOptions, seconds: cfg.seconds });
  const cpuSeconds = cpu();
  const backgroundCores = background();
  // The status request itself is counted by stub_status, hence the -1.
  const upstreamRequests = stubStatusUrl ? (await stubRequestCount(stubStatusUrl)) - stubBefore - 1 : null;
  if (tally) {
    tally.wrkRuns++;
    tally.wrkTimed += wrk.requests;
    tally.wrkNon2xx += wrk.non2xx;
    tally.wrkSocketErrors += wrk.socketErrors;
  }

  await sleep(cfg.cooldownSeconds);
  return {
    rps: wrk.rps,
    requests: wrk.requests,
    p50Ms: wrk.p50Ms,
    p90Ms: wrk.p90Ms,
    p99Ms: wrk.p99Ms,
    errors: wrk.non2xx + wrk.socketErrors,
    non2xx: wrk.non2xx,
    socketErrors: wrk.socketErrors,
    cpuSeconds,
    cpuUsPerRequest: wrk.requests ? (cpuSeconds * 1e6) / wrk.requests : Number.NaN,
    upstreamPerRequest: upstreamRequests === null ? null : upstreamRequests / wrk.requests,
    backgroundCores,
  };
}

/**
 * Open-model load at `cfg.openRate`, latency from intended send times (see open-loop.mjs).
 * With `tally`, adds every request sent (warm-up included) and every error.
 */
export async function measureOpenLoop({ url, cfg, tally }) {
  const background = backgroundMeter(process.pid);
  const result = await openLoop({
    url,
    rate: cfg.openRate,
    seconds: cfg.openSeconds,
    warmupSeconds: cfg.warmupSeconds,
    connections: cfg.openConnections,
  });
  const backgroundCores = background();
  if (tally) {
    tally.openSent += result.sent + result.warmupSent;
    tally.openErrors += result.errors.total + result.errors.warmup;
  }
  await sleep(cfg.cooldownSeconds);
  return { ...result, backgroundCores };
}
