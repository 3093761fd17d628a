import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from './statement-cache.js';

describe('withStatementCache', () => {
  it('hands out the same prepared statement for the same SQL, and re-prepares the least recent past max', () => {
    const sqlite = new SqliteDatabase(':memory:');
    const db = withStatementCache(sqlite, 2);
    db.prepare('CREATE TABLE t (v INTEGER)').run([]);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    expect(db.prepare('INSERT INTO t (v) VALUES (?)')).toBe(insert);
    insert.run([1]);
    const count = db.prepare('SELECT count(*) AS n FROM t');
    // Three statements so far with room for two: the CREATE went first, the INSERT stays.
    expect(db.prepare('INSERT INTO t (v) VALUES (?)')).toBe(insert);
    const sum = db.prepare('SELECT sum(v) AS s FROM t');
    // COUNT was the least recent of the two kept (INSERT was used after it): dropped for SUM.
    expect(db.prepare('SELECT count(*) AS n FROM t')).not.toBe(count);
    // That evicted INSERT, the least recent then; SUM stayed.
    expect(db.prepare('SELECT sum(v) AS s FROM t')).toBe(sum);
    expect(db.prepare('INSERT INTO t (v) VALUES (?)')).not.toBe(insert);
    expect(db.prepare('SELECT count(*) AS n FROM t').all([])).toEqual([{ n: 1 }]);
    db.close();
    expect(sqlite.open).toBe(false);
  });
});
