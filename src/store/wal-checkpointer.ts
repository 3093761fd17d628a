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
const DEFAULT_INTERVAL_MS = 200;

// Plain CommonJS for an `eval` worker: no build step, and it runs the same from sources (tests)
// and from dist. It ends when the parent asks, or when the parent's thread ends.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
// A checkpoint that throws ends the thread, which gives the connections their own back.
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
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
export function useWalCheckpointer(
  connection: SqliteDatabase.Database,
  path: string,
  intervalMs = DEFAULT_INTERVAL_MS,
): () => Promise<void> {
  let checkpointer = byPath.get(path);
  if (checkpointer === undefined) {
    checkpointer = start(path, intervalMs);
    byPath.set(path, checkpointer);
  }
  const own = checkpointer;
  connection.pragma('wal_autocheckpoint = 0');
  own.connections.add(connection);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    own.connections.delete(connection);
    if (own.connections.size > 0) return;
    if (byPath.get(path) === own) byPath.delete(path);
    own.thread.postMessage('close');
    await own.exited;
  };
}

function start(path: string, intervalMs: number): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const thread = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
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
