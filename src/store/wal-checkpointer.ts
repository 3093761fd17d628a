/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits
 * past 1,000 WAL pages copies them into the database file and syncs it inside that COMMIT,
 * synchronously: under the relayer's write rate that was a quarter of a worker's busy time and
 * its slowest commits (p99 10 ms, max 35 ms; docs/benchmarks.md "Relayer"). Connections opened
 * here turn that off, and one thread per process and file runs PASSIVE checkpoints on its own
 * connection instead: PASSIVE never waits for readers or writers, and a writer restarts the WAL
 * from its start once everything in it has been copied. If the thread dies, the connections
 * get their automatic checkpoints back, so the WAL cannot grow without bound.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/** SQLite's own default, restored when the thread is gone. */
const AUTO_CHECKPOINT_PAGES = 1000;
const DEFAULT_INTERVAL_MS = 50;
/** WAL pages (4 KiB each by default) past which the thread forces the WAL to start over. */
const DEFAULT_RESTART_PAGES = 16_384;
/** Bytes a WAL file is truncated back to when it starts over. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

// Plain CommonJS for an `eval` worker: no build step, and it runs the same from sources (tests)
// and from dist. It ends when the parent asks, or when the parent's thread ends.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const MAX_PASSES = 4;
// A checkpoint that throws ends the thread, which gives the connections their own back.
const timer = setInterval(() => {
  // A writer starts the WAL over only if, when it begins, every frame has been copied. Commits
  // that land while a pass copies leave new frames behind it, so passes repeat while the WAL
  // grew during the last one: the last is short, and the next writer usually finds nothing
  // left to copy. (One pass every 200 ms never caught up at 2,000 relayer requests/s: the WAL
  // grew 9 MB per pass until the RESTART below, every 1.5 s.)
  let [result] = db.pragma('wal_checkpoint(PASSIVE)');
  for (let pass = 1; pass < MAX_PASSES; pass++) {
    const [next] = db.pragma('wal_checkpoint(PASSIVE)');
    const grew = next.log !== result.log;
    result = next;
    if (!grew) break;
  }
  // Writes that never pause still never find it copied. Past the bound, RESTART waits (here,
  // not on a request's thread) until the next writer must start it over.
  if (result.log > workerData.restartPages) db.pragma('wal_checkpoint(RESTART)');
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } finally { db.close(); }
  parentPort.close();
});
`;

interface Checkpointer {
  readonly thread: Worker;
  readonly connections: Set<SqliteDatabase.Database>;
  readonly exited: Promise<void>;
}

const byPath = new Map<string, Checkpointer>();

/**
 * Hands `connection`'s checkpoints to the file's checkpoint thread (started on first use).
 * Returns the release to call before closing the connection.
 */
export interface WalCheckpointOptions {
  /** @default 50 */
  readonly intervalMs?: number;
  /** @default 16,384 (64 MiB of 4-KiB pages) */
  readonly restartPages?: number;
}

export function useWalCheckpointer(
  connection: SqliteDatabase.Database,
  path: string,
  options: WalCheckpointOptions = {},
): () => Promise<void> {
  let checkpointer = byPath.get(path);
  if (checkpointer === undefined) {
    checkpointer = start(path, {
      intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
      restartPages: options.restartPages ?? DEFAULT_RESTART_PAGES,
    });
    byPath.set(path, checkpointer);
  }
  const own = checkpointer;
  connection.pragma('wal_autocheckpoint = 0');
  connection.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  own.connections.add(connection);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    own.connections.delete(connection);
    if (own.connections.size > 0) return;
    if (byPath.get(path) === own) byPath.delete(path);
    // Held while it finishes: an unreferenced thread would let the process exit under an
    // awaiting caller (the cluster primary closes its migration handle this way at start).
    own.thread.ref();
    own.thread.postMessage('close');
    await own.exited;
  };
}

function start(path: string, options: Required<WalCheckpointOptions>): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const thread = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, ...options } });
  // It must never keep the process alive on its own; close() ends it explicitly.
  thread.unref();
  const connections = new Set<SqliteDatabase.Database>();
  const exited = new Promise<void>((resolve) => {
    thread.once('exit', () => {
      if (byPath.get(path) === checkpointer) byPath.delete(path);
      // Still-open connections checkpoint for themselves again.
      for (const connection of connections) {
        if (connection.open) connection.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
      }
      resolve();
    });
  });
  // An error ends the thread; 'exit' above restores the connections' own checkpoints.
  thread.on('error', () => undefined);
  const checkpointer: Checkpointer = { thread, connections, exited };
  return checkpointer;
}

/** The checkpoint thread of a file, if one runs (for tests and diagnostics). */
export function walCheckpointThread(path: string): Worker | undefined {
  return byPath.get(path)?.thread;
}
