// One chaos phase: steady load (JSON-RPC and transfers, each a `turnpike bench` engine child,
// plus a limited key sent at 3 × its limit from here), the fault injected once the load has run
// `before` seconds and lifted after `fault` seconds, `after` seconds of recovery; then the
// transfers are audited on chain (every accepted one exactly once) and the limit checked.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../lib/children.mjs';
import { auditTransfers, blockNumber } from '../lib/relayer-chain.mjs';
import { recipientOf, transferKey } from '../lib/relayer-transfers.mjs';
import { NETWORK } from './fleet.mjs';

const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a load child; resolves `{ child, result }` where result settles with its result line. */
async function startLoad(name, options, onTick) {
  let resolveResult;
  const result = new Promise((resolve) => (resolveResult = resolve));
  const child = await startChild(name, process.execPath, [LOAD, JSON.stringify(options)], {
    onLine(line) {
      if (!line.startsWith('{')) return;
      const record = JSON.parse(line);
      if (record.type === 'tick') onTick(record);
      if (record.type === 'result') resolveResult(record);
    },
  });
  const done = child.exit.then(async (code) => {
    if (code !== 0) throw new Error(`${name} exited ${code}: ${child.tail.slice(-10).join('\n')}`);
    return result;
  });
  return done;
}

/** Sends the limited key's requests at `rate`/s for `seconds`; counts what was admitted (200). */
async function limitedSender({ origin, secret, rate, seconds }) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
  const counts = { sent: 0, admitted: 0, limited: 0, other: 0, otherByKind: {} };
  const other = (kind) => {
    counts.other++;
    counts.otherByKind[kind] = (counts.otherByKind[kind] ?? 0) + 1;
  };
  const start = Date.now();
  const pending = [];
  for (let i = 0; i < rate * seconds; i++) {
    const due = start + (i * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    counts.sent++;
    pending.push(
      fetch(`${origin}/${NETWORK}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': secret },
        body,
        signal: AbortSignal.timeout(10_000),
      })
        .then(async (r) => {
          await r.arrayBuffer();
          if (r.status === 200) counts.admitted++;
          else if (r.status === 429) counts.limited++;
          else other(`http_${r.status}`);
        })
        .catch((err) => other(err.name)),
    );
  }
  await Promise.all(pending);
  return { ...counts, seconds: (Date.now() - start) / 1000 };
}

/** First second ≥ `from` after which every second's error share stays ≤ `threshold`; null if none. */
export function recoverySecond(seconds, from, threshold) {
  const share = (s) => (s.ok + s.errors > 0 ? s.errors / (s.ok + s.errors) : 0);
  const rows = seconds.filter((s) => s.t >= from);
  if (rows.length === 0) return null;
  let candidate = null;
  for (const s of rows) {
    if (share(s) > threshold) candidate = null;
    else candidate ??= s.t;
  }
  return candidate === null ? null : Math.max(0, candidate - from);
}

async function auditPhase({ fleet, token, tag, statusFile, firstBlock, drainSeconds }) {
  const accepted = readFileSync(statusFile);
  const expected = new Map();
  for (let seq = 0; seq < accepted.length; seq++)
    if (accepted[seq] === 1) expected.set(transferKey(recipientOf(tag, seq, 'unique'), '1000'), 1);
  const deadline = Date.now() + drainSeconds * 1000;
  for (;;) {
    const to = await blockNumber(fleet.anvil.url);
    const audit = await auditTransfers({
      url: fleet.anvil.url,
      token,
      from: firstBlock,
      to,
      tag,
      expected,
    });
    // Settled: every accepted transfer is on chain, or the drain time is up (then `missing` stays).
    if (audit.missing === 0 || Date.now() > deadline)
      return { accepted: expected.size, ...audit, lost: audit.missing, blocks: [firstBlock, to] };
    await sleep(2_000);
  }
}

export async function runPhase({ fleet, name, fault, options, dir, log }) {
  const tag = randomBytes(4).toString('hex');
  const keys = (fault.keys ?? fleet.tenancy.keys)[name];
  const origin = fault.origin ?? fleet.origin;
  const token = fault.token ?? fleet.contracts.token;
  const windows = [
    { name: 'before', seconds: options.beforeSeconds },
    { name: 'fault', seconds: options.faultSeconds },
    { name: 'after', seconds: options.afterSeconds },
  ];
  const total = windows.reduce((sum, w) => sum + w.seconds, 0);
  const firstBlock = (await blockNumber(fleet.anvil.url)) + 1;
  const statusFile = join(dir, `${name}-transfers.bin`);
  const timeline = { injectedAt: null, liftedAt: null, liftMs: null };
  const faultErrors = [];
  let faultChain = Promise.resolve();
  const step = (what, action) => {
    faultChain = faultChain.then(action).catch((err) => faultErrors.push(`${what}: ${err.message}`));
  };
  const onTick = ({ t }) => {
    // The JSON-RPC generator's clock times the fault, so its windows are the fault's windows.
    if (timeline.injectedAt === null && t >= options.beforeSeconds) {
      timeline.injectedAt = t;
      log(`  ${name}: t=${t}s inject: ${fault.what}`);
      step('inject', () => fault.inject());
    } else if (
      timeline.injectedAt !== null &&
      timeline.liftedAt === null &&
      t >= options.beforeSeconds + options.faultSeconds
    ) {
      timeline.liftedAt = t;
      log(`  ${name}: t=${t}s lift`);
      step('lift', async () => {
        const started = Date.now();
        await fault.lift();
        timeline.liftMs = Date.now() - started;
      });
    }
  };
  const common = { origin, network: NETWORK, windows, timeoutMs: options.requestTimeoutMs };
  const [rpc, transfer, limited] = await Promise.all([
    startLoad(
      `rpc-load-${name}`,
      { ...common, kind: 'rpc', rate: options.rpcRate, apiKey: keys.rpc.secret },
      onTick,
    ),
    startLoad(
      `transfer-load-${name}`,
      {
        ...common,
        kind: 'transfer',
        rate: options.transferRate,
        apiKey: keys.transfer.secret,
        tag,
        statusFile,
      },
      () => {},
    ),
    limitedSender({
      origin,
      secret: keys.limited.secret,
      rate: options.limitPerSecond * 3,
      seconds: total,
    }),
  ]);
  await faultChain;
  const transfers = await auditPhase({
    fleet,
    token,
    tag,
    statusFile,
    firstBlock,
    drainSeconds: options.drainSeconds,
  });
  // GCRA admits `limit × t + burst` in t seconds; t is measured here, on the client, from the
  // first send to the last answer, while the decisions are timed by Redis's clock: allow 1 %
  // of the bound (at least 2 requests) for that difference. A fault that swaps buckets may
  // allow more bursts, as documented (`rateLimitFailure: local`: the processes' own buckets
  // start full when Redis fails, and a restarted Redis starts empty): `fault.extraBursts`.
  const strictBound = options.limitPerSecond * limited.seconds + options.limitPerSecond;
  const extraBursts = fault.extraBursts?.(options) ?? 0;
  const bound = strictBound + extraBursts * options.limitPerSecond;
  const slack = Math.max(2, Math.ceil(bound * 0.01));
  return {
    name,
    fault: fault.what,
    keys: Object.fromEntries(Object.entries(keys).map(([kind, key]) => [kind, { id: key.id }])),
    timeline,
    faultErrors,
    rpc,
    transfer,
    transfers,
    rateLimit: {
      ...limited,
      limitPerSecond: options.limitPerSecond,
      bound: Math.floor(bound),
      strictBound: Math.floor(strictBound),
      extraBursts,
      slack,
      held: limited.admitted <= bound + slack,
    },
  };
}
