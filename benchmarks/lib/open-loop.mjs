// Open-model load generator: request i is due at t0 + i/rate whatever happened to earlier ones,
// and its latency is measured from that *intended* time, so a stalling server cannot hide its
// stall by slowing the generator down (coordinated omission). Keeps every sample for exact
// percentiles and reports its own schedule lag and event-loop utilization, so a run where the
// generator itself could not keep up is marked invalid instead of blaming the server.
//
// Run as a child process (see load.mjs) so the parent's sampling never disturbs the schedule:
//   node open-loop.mjs '{"url":"http://127.0.0.1:8545/","rate":2000,"seconds":10,...}'
// It prints JSON lines: {"type":"interval",...} every intervalSeconds, then {"type":"result",...}.
//
// Option `bodiesFile` (a JSON file `{ "bodies": [...], "classes": [...] }`, classes optional):
// request i sends bodies[i % bodies.length] instead of the one `body`, and with classes the
// result also holds latency percentiles per class (`byClass`). A file, because a request mix of
// thousands of bodies does not fit in one command-line argument.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { isJsonRpcSuccess, REQUEST_BODY } from './jsonrpc.mjs';
import { nowMs, startMetronome } from './metronome.mjs';
import { summarize } from './stats.mjs';

/** Beyond these the generator, not the server, is the bottleneck. */
const MAX_SEND_LAG_P99_MS = 5;
const MAX_GENERATOR_ELU = 0.9;

export async function runOpenLoop(options, onInterval = () => {}) {
  const {
    url,
    body = REQUEST_BODY,
    rate,
    seconds,
    warmupSeconds = 0,
    connections = 32,
    timeoutMs = 10_000,
    intervalSeconds = 0,
    bodiesFile,
  } = options;
  const mix = bodiesFile === undefined ? undefined : loadMix(bodiesFile);
  const target = new URL(url);
  const path = `${target.pathname}${target.search}`;
  const headers = { 'content-type': 'application/json' };
  const pool = new Pool(target.origin, {
    connections,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 60_000,
  });

  const period = 1000 / rate;
  const warmupCount = Math.round(rate * warmupSeconds);
  const total = warmupCount + Math.round(rate * seconds);
  const measured = total - warmupCount;
  // Preallocated: no per-sample garbage, no unbounded arrays.
  const corrected = new Float64Array(measured); // from intended send time
  const service = new Float64Array(measured); // from actual send time (what a closed loop would report)
  const sendLag = new Float64Array(measured);
  // With a mix: the class (index into mix.classNames) of every kept sample.
  const sampleClass = mix?.classOf ? new Uint8Array(measured) : undefined;
  let okCount = 0;
  const errors = { total: 0, warmup: 0, byKind: {} };
  let inFlight = 0;
  let maxInFlight = 0;
  let interval = { ok: 0, errors: 0, samples: [] };

  const t0 = nowMs() + 50;
  const measureStart = t0 + warmupCount * period;
  let eluStart = null;
  let next = 0;

  const countError = (kind, index) => {
    interval.errors++;
    if (index < warmupCount) {
      errors.warmup++;
      return;
    }
    errors.total++;
    errors.byKind[kind] = (errors.byKind[kind] ?? 0) + 1;
  };

  let resolveDrained;
  const drained = new Promise((resolve) => {
    resolveDrained = resolve;
  });
  const settle = () => {
    inFlight--;
    if (inFlight === 0 && next >= total) resolveDrained();
  };

  const send = (index, intended, now) => {
    if (index === warmupCount) eluStart = performance.eventLoopUtilization();
    if (index >= warmupCount) sendLag[index - warmupCount] = now - intended;
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    const slot = mix === undefined ? 0 : index % mix.bodies.length;
    pool
      .request({ method: 'POST', path, headers, body: mix === undefined ? body : mix.bodies[slot] })
      .then(async ({ statusCode, body: responseBody }) => {
        const text = await responseBody.text();
        const done = nowMs();
        if (statusCode !== 200) return countError(`http_${statusCode}`, index);
        if (!isJsonRpcSuccess(text)) return countError('jsonrpc_error', index);
        // Intervals are a time series and include the warm-up; the totals do not.
        interval.ok++;
        interval.samples.push(done - intended);
        if (index < warmupCount) return;
        corrected[okCount] = done - intended;
        service[okCount] = done - now;
        if (sampleClass !== undefined) sampleClass[okCount] = mix.classOf[slot];
        okCount++;
      })
      .catch((err) => countError(err.code ?? err.name ?? 'error', index))
      .finally(settle);
  };

  // Each tick sends everything that has come due; true asks to be called again at once.
  const pump = () => {
    const now = nowMs();
    while (next < total && t0 + next * period <= now) {
      send(next, t0 + next * period, now);
      next++;
    }
    if (next >= total) {
      metronome.stop();
      return false;
    }
    return t0 + next * period <= nowMs();
  };

  let ticker = null;
  if (intervalSeconds > 0) {
    let intervalStart = t0;
    ticker = setInterval(() => {
      const now = nowMs();
      const s = summarize(interval.samples);
      onInterval({
        type: 'interval',
        tSeconds: (now - t0) / 1000,
        rps: (interval.ok + interval.errors) / ((now - intervalStart) / 1000),
        ok: interval.ok,
        errors: interval.errors,
        p50Ms: s.p50,
        p99Ms: s.p99,
        inFlight,
      });
      interval = { ok: 0, errors: 0, samples: [] };
      intervalStart = now;
    }, intervalSeconds * 1000);
  }

  const metronome = startMetronome({ t0, period, total, onTick: pump });
  if (total === 0) resolveDrained();
  await drained;
  const elu = eluStart ? performance.eventLoopUtilization(eluStart).utilization : Number.NaN;
  const measureEnd = nowMs();
  await metronome.stop();
  if (ticker) clearInterval(ticker);
  await pool.close();

  const lag = summarize(sendLag);
  const invalid = [];
  if (lag.p99 > MAX_SEND_LAG_P99_MS)
    invalid.push(`send lag p99 ${lag.p99.toFixed(2)} ms > ${MAX_SEND_LAG_P99_MS} ms`);
  if (elu > MAX_GENERATOR_ELU) invalid.push(`generator event loop ${(elu * 100).toFixed(0)} % busy`);
  return {
    type: 'result',
    offeredRps: rate,
    seconds,
    sent: measured,
    /** Warm-up requests sent (and settled) before the measured ones. */
    warmupSent: warmupCount,
    ok: okCount,
    errors,
    errorRate: measured ? errors.total / measured : 0,
    completedRps: okCount / ((measureEnd - measureStart) / 1000),
    latencyMs: summarize(corrected.subarray(0, okCount)),
    serviceTimeMs: summarize(service.subarray(0, okCount)),
    sendLagMs: lag,
    generatorElu: elu,
    maxInFlight,
    valid: invalid.length === 0,
    invalid,
    ...(sampleClass !== undefined && {
      byClass: byClass(corrected.subarray(0, okCount), sampleClass.subarray(0, okCount), mix.classNames),
    }),
  };
}

/** Reads a request mix: bodies as Buffers (sent as is), classes as small integers. */
function loadMix(file) {
  const { bodies, classes } = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(bodies) || bodies.length === 0) throw new Error(`${file}: no bodies`);
  const mix = { bodies: bodies.map((b) => Buffer.from(b)), classNames: [], classOf: undefined };
  if (Array.isArray(classes)) {
    if (classes.length !== bodies.length) throw new Error(`${file}: one class per body expected`);
    mix.classNames = [...new Set(classes)];
    if (mix.classNames.length > 255) throw new Error(`${file}: too many classes`);
    mix.classOf = Uint8Array.from(classes, (c) => mix.classNames.indexOf(c));
  }
  return mix;
}

/** Latency summary per class of request. */
function byClass(latencies, classOf, names) {
  const out = {};
  names.forEach((name, c) => {
    const picked = [];
    for (let i = 0; i < latencies.length; i++) if (classOf[i] === c) picked.push(latencies[i]);
    out[name] = summarize(picked);
  });
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const emit = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);
  runOpenLoop(JSON.parse(process.argv[2]), emit).then(emit, (err) => {
    console.error(err);
    process.exit(1);
  });
}
