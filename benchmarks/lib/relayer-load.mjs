// Open-model load for the relayer intake: request i is due at t0 + i/rate and POSTs
// /v1/transfers with its own Idempotency-Key and `perRequest` transfers, each to a recipient
// derived from (tag, transfer index), so the on-chain audit can tell every transfer apart.
// Accept latency is measured from the intended send time (coordinated omission corrected), as
// in open-loop.mjs; the metronome and the validity rules are the same.
//
// Run as a child process (see relayer-bench-parts.mjs):
//   node relayer-load.mjs '{"origin":"http://127.0.0.1:8080","rate":2000,"seconds":60,...}'
// Prints {"type":"interval",...} every second, then {"type":"result",...}. With `statusFile`
// it writes one byte per request (0 no answer, 1 = 202, 2 = other) for the audit.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { nowMs, startMetronome } from './metronome.mjs';
import { summarize } from './stats.mjs';

const MAX_SEND_LAG_P99_MS = 5;
const MAX_GENERATOR_ELU = 0.9;
/** Recipients of the `reused` mode: this many addresses, used in turn. */
export const REUSED_RECIPIENTS = 1_000;

/** The recipient of transfer `n` (0-based over the whole run) of a run tagged `tag` (8 hex digits). */
export function recipientOf(tag, n, mode) {
  const index = mode === 'reused' ? n % REUSED_RECIPIENTS : n;
  return `0x${tag}${index.toString(16).padStart(32, '0')}`;
}

export async function runRelayerLoad(options, onInterval = () => {}) {
  const {
    origin,
    rate,
    seconds,
    warmupSeconds = 0,
    perRequest = 1,
    recipients = 'unique',
    tag,
    amount = '1000',
    token = 'DEMO',
    connections = 64,
    timeoutMs = 10_000,
    statusFile,
  } = options;
  const pool = new Pool(origin, {
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
  const corrected = new Float64Array(measured);
  const service = new Float64Array(measured);
  const sendLag = new Float64Array(measured);
  const status = new Uint8Array(total);
  let okCount = 0;
  let acceptedRequests = 0;
  const errors = { total: 0, warmup: 0, byKind: {} };
  let inFlight = 0;
  let maxInFlight = 0;
  let interval = { ok: 0, errors: 0, samples: [] };

  const body = (index) => {
    const first = index * perRequest;
    if (perRequest === 1)
      return `{"token":"${token}","to":"${recipientOf(tag, first, recipients)}","amount":"${amount}"}`;
    const parts = [];
    for (let j = 0; j < perRequest; j++)
      parts.push(
        `{"token":"${token}","to":"${recipientOf(tag, first + j, recipients)}","amount":"${amount}"}`,
      );
    return `{"transfers":[${parts.join(',')}]}`;
  };

  const t0 = nowMs() + 50;
  const measureStart = t0 + warmupCount * period;
  let eluStart = null;
  let next = 0;
  let resolveDrained;
  const drained = new Promise((resolve) => {
    resolveDrained = resolve;
  });
  const settle = () => {
    inFlight--;
    if (inFlight === 0 && next >= total) resolveDrained();
  };
  const countError = (kind, index) => {
    interval.errors++;
    if (index < warmupCount) {
      errors.warmup++;
      return;
    }
    errors.total++;
    errors.byKind[kind] = (errors.byKind[kind] ?? 0) + 1;
  };

  const send = (index, intended, now) => {
    if (index === warmupCount) eluStart = performance.eventLoopUtilization();
    if (index >= warmupCount) sendLag[index - warmupCount] = now - intended;
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    pool
      .request({
        method: 'POST',
        path: '/v1/transfers',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${tag}-${index}` },
        body: body(index),
      })
      .then(async ({ statusCode, body: responseBody }) => {
        await responseBody.text();
        const done = nowMs();
        if (statusCode !== 202) {
          status[index] = 2;
          return countError(`http_${statusCode}`, index);
        }
        status[index] = 1;
        acceptedRequests++;
        interval.ok++;
        interval.samples.push(done - intended);
        if (index < warmupCount) return;
        corrected[okCount] = done - intended;
        service[okCount] = done - now;
        okCount++;
      })
      .catch((err) => countError(err.code ?? err.name ?? 'error', index))
      .finally(settle);
  };

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

  let intervalStart = t0;
  const ticker = setInterval(() => {
    const now = nowMs();
    const s = summarize(interval.samples);
    onInterval({
      type: 'interval',
      tSeconds: (now - t0) / 1000,
      acceptedRps: interval.ok / ((now - intervalStart) / 1000),
      ok: interval.ok,
      errors: interval.errors,
      p50Ms: s.p50,
      p99Ms: s.p99,
      inFlight,
    });
    interval = { ok: 0, errors: 0, samples: [] };
    intervalStart = now;
  }, 1000);

  const metronome = startMetronome({ t0, period, total, onTick: pump });
  if (total === 0) resolveDrained();
  await drained;
  const elu = eluStart ? performance.eventLoopUtilization(eluStart).utilization : Number.NaN;
  const measureEnd = nowMs();
  await metronome.stop();
  clearInterval(ticker);
  await pool.close();
  if (statusFile !== undefined) writeFileSync(statusFile, status);

  const lag = summarize(sendLag);
  const invalid = [];
  if (lag.p99 > MAX_SEND_LAG_P99_MS)
    invalid.push(`send lag p99 ${lag.p99.toFixed(2)} ms > ${MAX_SEND_LAG_P99_MS} ms`);
  if (elu > MAX_GENERATOR_ELU) invalid.push(`generator event loop ${(elu * 100).toFixed(0)} % busy`);
  return {
    type: 'result',
    offeredRps: rate,
    perRequest,
    seconds,
    sent: measured,
    warmupSent: warmupCount,
    total,
    ok: okCount,
    /** Requests answered 202, warm-up included (what went to the store). */
    acceptedRequests,
    errors,
    errorRate: measured ? errors.total / measured : 0,
    acceptedRps: okCount / ((measureEnd - measureStart) / 1000),
    latencyMs: summarize(corrected.subarray(0, okCount)),
    serviceTimeMs: summarize(service.subarray(0, okCount)),
    sendLagMs: lag,
    generatorElu: elu,
    maxInFlight,
    t0EpochMs: Date.now() - (nowMs() - t0),
    measureStartEpochMs: Date.now() - (nowMs() - measureStart),
    valid: invalid.length === 0,
    invalid,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const emit = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);
  runRelayerLoad(JSON.parse(process.argv[2]), emit).then(emit, (err) => {
    console.error(err);
    process.exit(1);
  });
}
