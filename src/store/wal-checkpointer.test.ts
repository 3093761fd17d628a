import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { useWalCheckpointer, walCheckpointThread } from './wal-checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openFile(): { path: string; db: SqliteDatabase.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-wal-'));
  dirs.push(dir);
  const path = join(dir, 'store.sqlite');
  const db = new SqliteDatabase(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  return { path, db };
}

function writeRows(db: SqliteDatabase.Database, count: number): void {
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const many = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run('x'.repeat(200));
  });
  for (let i = 0; i < count / 100; i++) many(100);
}

/** Frames in the WAL that are not yet in the database file (0 once a checkpoint caught up). */
function uncheckpointed(db: SqliteDatabase.Database): number {
  // A PASSIVE checkpoint of 0 frames left to copy answers log == checkpointed without copying.
  const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
  return row!.log - row!.checkpointed;
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never: ${what}`);
}

describe('useWalCheckpointer', () => {
  it('turns the connection’s own checkpoints off and copies the WAL on its thread', async () => {
    const { path, db } = openFile();
    const release = useWalCheckpointer(db, path, { intervalMs: 20 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // 30,000 rows of 200 bytes: far past the 1,000 pages at which the connection would have
    // checkpointed inside a COMMIT.
    writeRows(db, 30_000);
    const walBytes = statSync(`${path}-wal`).size;
    expect(walBytes).toBeGreaterThan(1000 * 4096);
    // Only a checkpoint writes table pages into the database file itself, and nothing here
    // checkpoints but the thread.
    await eventually(() => statSync(path).size > walBytes / 2, 'the rows copied into the database file');
    await release();
    expect(walCheckpointThread(path)).toBeUndefined();
    db.close();
  });

  it('gives the connections their own checkpoints back when the thread dies', async () => {
    const { path, db } = openFile();
    const release = useWalCheckpointer(db, path, { intervalMs: 20 });
    const thread = walCheckpointThread(path);
    expect(thread).toBeDefined();
    await thread!.terminate();
    await eventually(
      () => db.pragma('wal_autocheckpoint', { simple: true }) === 1000,
      'autocheckpoint restored',
    );
    expect(walCheckpointThread(path)).toBeUndefined();
    await release();
    db.close();
  });

  it('shares one thread between the connections of a file and ends it with the last', async () => {
    const { path, db } = openFile();
    const second = new SqliteDatabase(path);
    const releaseFirst = useWalCheckpointer(db, path, { intervalMs: 20 });
    const releaseSecond = useWalCheckpointer(second, path, { intervalMs: 20 });
    const thread = walCheckpointThread(path);
    await releaseFirst();
    expect(walCheckpointThread(path)).toBe(thread);
    await releaseSecond();
    expect(walCheckpointThread(path)).toBeUndefined();
    second.close();
    db.close();
  });
});

describe('releasing the last connection', () => {
  it('keeps the process alive until the thread has ended (nothing else holds the event loop)', () => {
    const { path, db } = openFile();
    db.close();
    // The cluster primary opens the database to migrate, closes it, then forks: with the
    // thread unreferenced while it closed, the process exited under the awaiting close.
    const script = `
      const { default: Database } = await import('better-sqlite3');
      const { useWalCheckpointer } = await import(${JSON.stringify(new URL('./wal-checkpointer.ts', import.meta.url).href)});
      const db = new Database(${JSON.stringify(path)});
      const release = useWalCheckpointer(db, ${JSON.stringify(path)}, { intervalMs: 20 });
      await release();
      db.close();
      process.stdout.write('closed');
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out).toBe('closed');
  });
});

/** Asks from a separate connection, so the test's own writer never checkpoints. */
function uncheckpointedBy(path: string): number {
  const probe = new SqliteDatabase(path);
  try {
    probe.pragma('wal_autocheckpoint = 0');
    return uncheckpointed(probe);
  } finally {
    // Closing a connection that is not the last one does not checkpoint.
    probe.close();
  }
}
