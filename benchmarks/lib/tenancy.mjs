// "Tenancy on" for the Turnpike targets: a fresh SQLite file seeded before start (one plan whose
// rate limit sits far above any load the benchmark can offer, a project with a large prepaid
// balance, one API key), the config that turns tenancy on, and afterwards the usage Turnpike
// metered into that file, to check against what the harness sent.
//
// The store code is Turnpike's own compiled store (`turnpike/tenancy-store`), imported on demand
// so the harness still runs its other targets when Turnpike is not built.
import { join } from 'node:path';

/** Per second and burst of the bench plan: evaluated on every request, never refusing. */
export const BENCH_RATE = { perSecond: 1_000_000, burst: 1_000_000 };
/** Prepaid compute units: eth_blockNumber costs 10, so this lasts 10^11 requests. */
export const BENCH_CREDITS = 1_000_000_000_000;

async function openStore(database, { migrate }) {
  const { openDatabase, SqlTenancyStore } = await import('turnpike/tenancy-store');
  const store = await openDatabase(
    {
      database,
      schema: 'public',
      pool: { max: 1, idleTimeoutMs: 1_000, connectionTimeoutMs: 1_000, statementTimeoutMs: 10_000 },
    },
    { migrate },
  );
  return { store, tenancy: new SqlTenancyStore(store) };
}

/**
 * Creates `<dir>/<name>.sqlite` (migrated) with one plan, project and key; returns the config
 * section for Turnpike and the key's secret. Turnpike's own primary migrates again (a no-op).
 */
export async function seedTenancy({ dir, name, network }) {
  const database = join(dir, `${name}.sqlite`);
  const { store, tenancy } = await openStore(database, { migrate: true });
  try {
    const plan = await tenancy.createPlan({
      name: 'bench',
      rateLimit: BENCH_RATE,
      // The network check runs too (undefined would allow every network without a lookup).
      allowedNetworks: [network],
    });
    const project = await tenancy.createProject({ name: 'bench', planId: plan.id, credits: BENCH_CREDITS });
    const { key, secret } = await tenancy.createKey({ projectId: project.id, name: 'bench' });
    return {
      database,
      secret,
      keyId: key.id,
      projectId: project.id,
      config: {
        storage: { database },
        tenancy: { enabled: true },
      },
    };
  } finally {
    await store.close();
  }
}

/**
 * What Turnpike metered into `database`: requests and compute units summed over usage_daily,
 * requests by outcome, and the project's credits left. Read after Turnpike has stopped (its
 * meter writes what is left on shutdown).
 */
export async function readUsage({ database, projectId }) {
  const { store } = await openStore(database, { migrate: false });
  try {
    const rows = await store.db
      .selectFrom('usage_daily')
      .select((eb) => [
        'outcome',
        eb.fn.sum('requests').as('requests'),
        eb.fn.sum('compute_units').as('computeUnits'),
      ])
      .groupBy('outcome')
      .execute();
    const project = await store.db
      .selectFrom('projects')
      .select('credits')
      .where('id', '=', projectId)
      .executeTakeFirst();
    const byOutcome = Object.fromEntries(rows.map((row) => [row.outcome, Number(row.requests)]));
    return {
      requests: rows.reduce((sum, row) => sum + Number(row.requests), 0),
      computeUnits: rows.reduce((sum, row) => sum + Number(row.computeUnits), 0),
      byOutcome,
      creditsLeft:
        project?.credits === null || project?.credits === undefined ? null : Number(project.credits),
    };
  } finally {
    await store.close();
  }
}

/** Everything the harness sent to one tenancy target, to compare with the metered usage. */
export function newTally() {
  return {
    /** wrk runs (timed and warm-up): each may cut up to one request per connection at its end. */
    wrkRuns: 0,
    /** Completed responses wrk counted in its timed runs (the RPS figure's requests). */
    wrkTimed: 0,
    /** Completed responses wrk counted in its warm-up runs. */
    wrkWarmup: 0,
    /** Non-2xx responses wrk counted (timed and warm-up). */
    wrkNon2xx: 0,
    wrkSocketErrors: 0,
    /** Requests the open-loop generator sent and saw settle (warm-up included). */
    openSent: 0,
    openErrors: 0,
    /** Single requests of the harness's own checks (start-up and Server-Timing sample). */
    checks: 0,
  };
}

export function tallyTotal(tally) {
  return tally.wrkTimed + tally.wrkWarmup + tally.openSent + tally.checks;
}

const TIMING = /([a-z]+);dur=([\d.]+)/g;

/**
 * Sends `count` requests one after another and returns the median of each Server-Timing stage
 * (ms) and of the client-side round trip. At no load, so it shows the work per request, not
 * queueing. `check(response)` may throw to reject an answer (e.g. a missing RateLimit header).
 */
export async function sampleServerTiming(url, body, count, check = () => {}) {
  const stages = {};
  const roundTrips = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    await response.arrayBuffer();
    roundTrips.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`Server-Timing sample: HTTP ${response.status}`);
    check(response);
    for (const [, name, dur] of (response.headers.get('server-timing') ?? '').matchAll(TIMING)) {
      if (stages[name] === undefined) stages[name] = [];
      stages[name].push(Number(dur));
    }
  }
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  };
  const out = { count, clientRoundTripMs: median(roundTrips) };
  for (const [name, values] of Object.entries(stages)) out[name] = median(values);
  return out;
}
