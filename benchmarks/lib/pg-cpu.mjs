// PostgreSQL server CPU from its own process accounting (/proc/<pid>/stat utime + stime):
// the backends serving the gateway (found by their application_name in pg_stat_activity,
// polled, since the pool may open and close connections) and, as an upper bound, every
// postgres process on the machine (walwriter, checkpointer, autovacuum too — and the
// connections of anything else using this server meanwhile).
import { readdirSync, readFileSync } from 'node:fs';
import { CLK_TCK } from './proc-stats.mjs';

function cpuTicks(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null; // exited
  }
}

function postgresPids() {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/** Every postgres process's ticks now; a process that exits later keeps its last reading. */
function allTicks(into = new Map()) {
  for (const pid of postgresPids()) {
    const ticks = cpuTicks(pid);
    if (ticks !== null) into.set(pid, ticks);
  }
  return into;
}

/**
 * Starts measuring; `poll()` (call it every second or so) notes the gateway's backends and
 * their ticks; `stop()` returns CPU seconds `{ backends, server }` since the start.
 */
export async function pgCpuMeter(reader, applicationName) {
  const startAll = allTicks();
  const backends = new Map(); // pid → { start, last }
  const poll = async () => {
    const rows = await reader.query('SELECT pid FROM pg_stat_activity WHERE application_name = ?', [
      applicationName,
    ]);
    for (const { pid } of rows) {
      const ticks = cpuTicks(pid);
      if (ticks === null) continue;
      const seen = backends.get(pid);
      // A backend born after the start counts from zero; one already running from the start.
      if (seen === undefined) backends.set(pid, { start: startAll.get(pid) ?? 0, last: ticks });
      else seen.last = ticks;
    }
    allTicks(lastAll);
  };
  const lastAll = new Map(startAll);
  await poll();
  return {
    poll,
    async stop() {
      await poll();
      let own = 0;
      for (const { start, last } of backends.values()) own += last - start;
      let server = 0;
      for (const [pid, last] of lastAll) server += last - (startAll.get(pid) ?? 0);
      return { backends: own / CLK_TCK, server: server / CLK_TCK, backendCount: backends.size };
    },
  };
}

/** Inserts, updates (HOT of them), deletes per relayer table of the reader's schema. */
export async function tableChurn(reader) {
  const rows = await reader.query(
    `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables
      WHERE schemaname = current_schema() AND relname LIKE 'relayer_%' ORDER BY relname`,
  );
  return rows.map((row) => ({
    table: row.relname,
    counts: {
      ins: Number(row.n_tup_ins),
      upd: Number(row.n_tup_upd),
      hot: Number(row.n_tup_hot_upd),
      del: Number(row.n_tup_del),
    },
  }));
}
