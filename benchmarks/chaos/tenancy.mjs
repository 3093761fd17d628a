// Tenancy for the chaos fleet, in its throwaway PostgreSQL: a plan far above the load (so only
// faults refuse anything), a `limited` plan (the rate-limit check), and per phase three keys:
// JSON-RPC, transfers, and the limited one, so each phase's metered usage and limit can be read
// apart. Seeded with Turnpike's own compiled store (`turnpike/tenancy-store`), which migrates.
import pg from 'pg';

export async function seedChaosTenancy(databaseUrl, options) {
  const { openDatabase, SqlTenancyStore } = await import('turnpike/tenancy-store');
  const store = await openDatabase(
    {
      database: databaseUrl,
      schema: 'public',
      pool: { max: 1, idleTimeoutMs: 1_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 30_000 },
    },
    { migrate: true },
  );
  try {
    const tenancy = new SqlTenancyStore(store);
    const open = await tenancy.createPlan({
      name: 'chaos',
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    });
    const limit = { perSecond: options.limitPerSecond, burst: options.limitPerSecond };
    const limited = await tenancy.createPlan({ name: 'chaos-limited', rateLimit: limit });
    const keys = {};
    for (const phase of options.phases) {
      const key = async (plan, name) => {
        const project = await tenancy.createProject({
          name: `${phase}-${name}`,
          planId: plan.id,
          credits: 1e15,
        });
        const { key: row, secret } = await tenancy.createKey({ projectId: project.id, name });
        return { id: row.id, secret };
      };
      keys[phase] = {
        rpc: await key(open, 'rpc'),
        transfer: await key(open, 'transfer'),
        limited: await key(limited, 'limited'),
      };
    }
    return { keys, limit };
  } finally {
    await store.close();
  }
}

/** Metered requests per key id from usage_daily: { total, ok, byOutcome }. */
export async function readUsageByKey(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      'select key_id, outcome, sum(requests)::bigint as requests from usage_daily group by key_id, outcome',
    );
    const byKey = {};
    for (const row of rows) {
      byKey[row.key_id] ??= { total: 0, ok: 0, byOutcome: {} };
      const entry = byKey[row.key_id];
      const n = Number(row.requests);
      entry.total += n;
      entry.byOutcome[row.outcome] = n;
      if (row.outcome === 'ok') entry.ok += n;
    }
    return byKey;
  } finally {
    await client.end();
  }
}
