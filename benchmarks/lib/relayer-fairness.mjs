// The fairness mode of benchmarks/relayer.mjs (`--fairness`): two tenants on one relayer.
// A small tenant sends a few single transfers a second (`--small-rate`), first on an idle
// relayer (the baseline of this run), then while a large tenant floods it open-model at
// `--rate` transfers/s. The figure is the small tenant's accepted → confirmed p99 under the
// flood against its p99 on the idle relayer; the goal is ≤ 2 ×. Tenancy is on (an admin token,
// one plan without limits, a project and a key per tenant); latencies come from the store's own
// created_at / updated_at of each tenant's transfers, read after the run.
import { randomBytes } from 'node:crypto';
import { openStoreReader } from './relayer-store.mjs';
import { fmt, table } from './report.mjs';
import { summarize } from './stats.mjs';

export const FAIRNESS_GOAL = 2;
const AMOUNT = '1000';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A plan without limits, and a project with a key for each tenant: name → { id, secret }. */
async function tenants(origin, adminToken, names) {
  const admin = async (path, body) => {
    const response = await fetch(`${origin}/admin/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (response.status !== 201)
      throw new Error(`admin ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const plan = await admin('/plans', { name: 'bench-fairness' });
  const out = {};
  for (const name of names) {
    const project = await admin('/projects', { name, plan: plan.id });
    const key = await admin('/keys', { project: project.id, name: 'bench' });
    out[name] = { id: project.id, secret: key.secret };
  }
  return out;
}

/** Single transfers at `rate`/s for `seconds`, each its own request; answers by status. */
async function trickle({ origin, secret, rate, seconds, tag }) {
  const answers = {};
  const sends = [];
  const t0 = Date.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const to = `0x${tag}${(i + 1).toString(16).padStart(32, '0')}`;
    sends.push(
      fetch(`${origin}/v1/transfers`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': secret,
          'idempotency-key': `${tag}-${i}`,
        },
        body: JSON.stringify({ token: 'DEMO', to, amount: AMOUNT }),
      }).then(
        async (response) => {
          await response.arrayBuffer();
          answers[response.status] = (answers[response.status] ?? 0) + 1;
        },
        () => {
          answers.error = (answers.error ?? 0) + 1;
        },
      ),
    );
  }
  await Promise.all(sends);
  return { from: t0, to: Date.now(), answers };
}

/**
 * Accepted → confirmed of one project's transfers created in [from, to), from the store, and
 * its two parts: waiting to be claimed (the batch's created_at), then claimed → confirmed
 * (signing, the mempool, the block, the receipt poll). Fairness acts on the first.
 */
async function latencies(reader, projectId, { from, to }) {
  const rows = await reader.query(
    `SELECT t.state, t.created_at, t.updated_at, b.created_at AS claimed_at
       FROM relayer_transfers t LEFT JOIN relayer_batches b ON b.id = t.batch_id
      WHERE t.project_id = ? AND t.created_at >= ? AND t.created_at < ?`,
    [projectId, from, to],
  );
  const confirmed = rows.filter((row) => row.state === 'confirmed');
  const series = (f) => summarize(Float64Array.from(confirmed, f));
  return {
    stored: rows.length,
    confirmed: confirmed.length,
    open: rows.length - confirmed.length,
    ms: series((row) => Number(row.updated_at) - Number(row.created_at)),
    claimWaitMs: series((row) => Number(row.claimed_at) - Number(row.created_at)),
    afterClaimMs: series((row) => Number(row.updated_at) - Number(row.claimed_at)),
  };
}

async function drain(reader, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const [row] = await reader.query(
      "SELECT COUNT(*) AS n FROM relayer_transfers WHERE state IN ('accepted', 'batched', 'signed', 'submitted')",
    );
    if (Number(row?.n ?? 0) === 0) return true;
    await sleep(500);
  }
  return false;
}

/**
 * `startGateway(extraConfig)` starts Turnpike (as relayer.mjs does) and resolves to
 * { child, origin, reader }; `runLoad(options)` runs the open-model load child.
 */
export async function runFairness({ o, startGateway, runLoad, log }) {
  const adminToken = randomBytes(16).toString('hex');
  const gateway = await startGateway({ tenancy: { enabled: true, adminToken } });
  const { large, small } = await tenants(gateway.origin, adminToken, ['large', 'small']);
  const reader = await openStoreReader(gateway.reader);
  try {
    log(`\n[fairness] idle: the small tenant alone, ${o.smallRate} transfers/s for ${o.duration}s`);
    const idleTag = randomBytes(4).toString('hex');
    const idleRun = await trickle({
      origin: gateway.origin,
      secret: small.secret,
      rate: o.smallRate,
      seconds: o.duration,
      tag: idleTag,
    });
    await drain(reader, o.drain * 1000);
    const idle = await latencies(reader, small.id, idleRun);
    log(`  idle: p50 ${fmt(idle.ms.p50)} ms, p99 ${fmt(idle.ms.p99)} ms over ${idle.confirmed} transfers`);

    const perRequest = o.perRequest.at(-1);
    log(
      `[fairness] flood: the large tenant at ${fmt(o.rate)} transfers/s (${perRequest}/request), ` +
        `${o.warmup}s warm-up + ${o.duration}s, the small one at ${o.smallRate}/s during the ${o.duration}s`,
    );
    const [flood, busyRun] = await Promise.all([
      runLoad({
        origin: gateway.origin,
        rate: o.rate / perRequest,
        seconds: o.duration,
        warmupSeconds: o.warmup,
        perRequest,
        recipients: o.recipients,
        tag: randomBytes(4).toString('hex'),
        amount: AMOUNT,
        connections: o.connections,
        apiKey: large.secret,
      }),
      sleep(o.warmup * 1000).then(() =>
        trickle({
          origin: gateway.origin,
          secret: small.secret,
          rate: o.smallRate,
          seconds: o.duration,
          tag: randomBytes(4).toString('hex'),
        }),
      ),
    ]);
    const drained = await drain(reader, o.drain * 1000);
    const busy = await latencies(reader, small.id, busyRun);
    const largeInWindow = await latencies(reader, large.id, busyRun);
    const [backlog] = await reader.query('SELECT COUNT(*) AS n FROM relayer_transfers WHERE project_id = ?', [
      large.id,
    ]);
    return {
      idle,
      busy,
      large: largeInWindow,
      largeStored: Number(backlog?.n ?? 0),
      flood,
      drained,
      answers: { idle: idleRun.answers, busy: busyRun.answers },
      ratio: busy.ms.p99 / idle.ms.p99,
    };
  } finally {
    await reader.close();
    await gateway.stop();
  }
}

export function printFairness(o, f) {
  console.log(`\n== bench:relayer --fairness  ${new Date().toISOString()} ==`);
  console.log(
    `small tenant ${o.smallRate} single transfers/s; large tenant ${fmt(o.rate)} transfers/s open-model; ` +
      `${o.keys} keys, ${o.workers} workers, ${o.db}, relayer ${JSON.stringify(o.relayer)} (else defaults)`,
  );
  const row = (name, l) => [
    name,
    fmt(l.stored),
    fmt(l.confirmed),
    fmt(l.open),
    fmt(l.ms.p50),
    fmt(l.ms.p99),
    fmt(l.ms.max),
    `${fmt(l.claimWaitMs.p50)} / ${fmt(l.claimWaitMs.p99)}`,
    `${fmt(l.afterClaimMs.p50)} / ${fmt(l.afterClaimMs.p99)}`,
  ];
  console.log(
    table(
      [
        'transfers (accepted → confirmed)',
        'stored',
        'confirmed',
        'not confirmed',
        'p50 ms',
        'p99 ms',
        'max ms',
        'to claim p50/p99 ms',
        'claim → confirmed p50/p99 ms',
      ],
      [
        row('small tenant, idle relayer (baseline)', f.idle),
        row('small tenant, large tenant flooding', f.busy),
        row('large tenant, same window', f.large),
      ],
    ),
  );
  console.log(
    `large tenant: ${fmt(f.flood.acceptedRequests)} requests accepted, client errors ${JSON.stringify(f.flood.errors.byKind)}, ` +
      `${fmt(f.largeStored)} transfers stored; small tenant answers: idle ${JSON.stringify(f.answers.idle)}, ` +
      `busy ${JSON.stringify(f.answers.busy)}; drained ${f.drained}`,
  );
  const valid = f.busy.open === 0 && f.idle.open === 0 && f.idle.confirmed > 0;
  const status = valid ? (f.ratio <= FAIRNESS_GOAL ? 'PASS' : 'FAIL') : 'INVALID';
  console.log(
    table(
      ['check', 'measured', 'result'],
      [[`small tenant p99 under flood ≤ ${FAIRNESS_GOAL} × idle p99`, `${fmt(f.ratio, 2)} ×`, status]],
    ),
  );
  return status === 'PASS';
}
