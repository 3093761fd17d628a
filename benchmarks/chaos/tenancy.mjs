// Tenancy for the chaos fleet, in its throwaway PostgreSQL: a plan far above the load (so only
// faults refuse anything), a `limited` plan (the rate-limit check), and per phase three keys:
// JSON-RPC, transfers, and the limited one, so each phase's metered usage and limit can be read
// apart. Seeded with Turnpike's own compiled store (`turnpike/tenancy-store`), which migrates.
/** Turnpike's store on a PostgreSQL URL or a SQLite path. */
async function openStore(database, migrate) {
  const { openDatabase } = await import('turnpike/tenancy-store');
  return openDatabase(
    {
      database,
      schema: 'public',
      pool: { max: 1, idleTimeoutMs: 1_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 30_000 },
    },
    { migrate },
  );
}

/** Seeds `database` (PostgreSQL URL or SQLite path) with the plans and every phase's keys. */
export async function seedChaosTenancy(database, options, phases = options.phases) {
  const { SqlTenancyStore } = await import('turnpike/tenancy-store');
  const store = await openStore(database, true);
  try {
    const tenancy = new SqlTenancyStore(store);
    const open = await tenancy.createPlan({
      name: 'chaos',
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    });
    const limit = { perSecond: options.limitPerSecond, burst: options.limitPerSecond };
    const limited = await tenancy.createPlan({ name: 'chaos-limited', rateLimit: limit });
    const keys = {};
    for (const phase of phases) {
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
export async function readUsageByKey(database) {
  const store = await openStore(database, false);
  try {
    const rows = await store.db
      .selectFrom('usage_daily')
      .select((eb) => ['key_id', 'outcome', eb.fn.sum('requests').as('requests')])
      .groupBy(['key_id', 'outcome'])
      .execute();
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
    await store.close();
  }
}
