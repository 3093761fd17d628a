// Reads the relayer's store after a run (SQLite file or PostgreSQL schema): transfers by state,
// accept → confirm latency of the transfers created in the measured window (created_at and
// updated_at are the store's own milliseconds), and the sizes of the batches.
import { createRequire } from 'node:module';
import { summarize } from './stats.mjs';

const require = createRequire(import.meta.url);

/** Opens the store read-only-ish; `query(sql, params)` resolves to rows. */
export async function openStoreReader({ dialect, database, schema }) {
  if (dialect === 'sqlite') {
    const Sqlite = require('better-sqlite3');
    const db = new Sqlite(database, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return {
      query: async (sql, params = []) => db.prepare(sql).all(...params),
      close: async () => db.close(),
    };
  }
  const { Client } = require('pg');
  const client = new Client({ connectionString: database });
  await client.connect();
  await client.query(`SET search_path TO ${schema}`);
  return {
    query: async (sql, params = []) => {
      let n = 0;
      return (
        await client.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows;
    },
    close: async () => client.end(),
    raw: client,
  };
}

export async function storeSummary(reader, { from, to }) {
  const byState = {};
  for (const row of await reader.query('SELECT state, COUNT(*) AS n FROM relayer_transfers GROUP BY state'))
    byState[row.state] = Number(row.n);
  const rows = await reader.query(
    "SELECT created_at, updated_at FROM relayer_transfers WHERE state = 'confirmed' AND created_at >= ? AND created_at < ?",
    [from, to],
  );
  const confirmMs = Float64Array.from(rows, (r) => Number(r.updated_at) - Number(r.created_at));
  // Confirmed (updated_at) and accepted (created_at) inside the window: the sustained rates.
  const [inWindow] = await reader.query(
    `SELECT SUM(CASE WHEN state = 'confirmed' AND updated_at >= ? AND updated_at < ? THEN 1 ELSE 0 END) AS confirmed,
            SUM(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END) AS accepted
       FROM relayer_transfers`,
    [from, to, from, to],
  );
  const sizes = await reader.query('SELECT size, state FROM relayer_batches');
  const sizeStats = summarize(Float64Array.from(sizes, (r) => Number(r.size)));
  const total = Object.values(byState).reduce((a, b) => a + b, 0);
  const open = total - (byState.confirmed ?? 0) - (byState.failed ?? 0);
  return {
    byState,
    total,
    open,
    confirmedInWindow: Number(inWindow?.confirmed ?? 0),
    acceptedInWindow: Number(inWindow?.accepted ?? 0),
    confirmationMs: summarize(confirmMs),
    batches: {
      count: sizes.length,
      meanSize: sizeStats.mean,
      p50Size: sizeStats.p50,
      maxSize: sizeStats.max,
    },
  };
}

/** Open transfers now (an index range on state: cheap, unlike a count of the whole table). */
export async function openCount(reader) {
  const [row] = await reader.query(
    "SELECT COUNT(*) AS n FROM relayer_transfers WHERE state IN ('accepted', 'batched', 'signed', 'submitted')",
  );
  return Number(row?.n ?? 0);
}

/**
 * Per second from `from`: transfers stored (created_at), confirmed and failed (updated_at of
 * terminal rows), and the queue depth at the end of each second. Read after the run, from the
 * store's own timestamps, so sampling costs the gateway nothing while it runs.
 */
export async function storeTimeline(reader, { from, seconds }) {
  const rows = (sql) => reader.query(sql, [from, from]);
  const created = await rows(
    'SELECT (created_at - ?) / 1000 AS s, COUNT(*) AS n FROM relayer_transfers WHERE created_at >= ? GROUP BY 1',
  );
  const done = await rows(
    "SELECT (updated_at - ?) / 1000 AS s, state, COUNT(*) AS n FROM relayer_transfers WHERE state IN ('confirmed', 'failed') AND updated_at >= ? GROUP BY 1, 2",
  );
  const [before] = await reader.query(
    "SELECT SUM(CASE WHEN created_at < ? THEN 1 ELSE 0 END) - SUM(CASE WHEN state IN ('confirmed', 'failed') AND updated_at < ? THEN 1 ELSE 0 END) AS n FROM relayer_transfers",
    [from, from],
  );
  const out = Array.from({ length: seconds }, (_, s) => ({
    s,
    accepted: 0,
    confirmed: 0,
    failed: 0,
    open: 0,
  }));
  for (const r of created) {
    const s = Math.floor(Number(r.s));
    if (s < seconds) out[s].accepted += Number(r.n);
  }
  for (const r of done) {
    const s = Math.floor(Number(r.s));
    if (s < seconds) out[s][r.state] += Number(r.n);
  }
  let open = Number(before?.n ?? 0);
  for (const row of out) {
    open += row.accepted - row.confirmed - row.failed;
    row.open = open;
  }
  return out;
}
