import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors/gateway-error.js';
import { createSqliteFolder } from './sqlite-folder.js';

const dir = mkdtempSync(join(tmpdir(), 'turnpike-sqlite-folder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(file: string) {
  try {
    createSqliteFolder(file);
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    return err;
  }
  throw new Error(`no refusal for ${file}`);
}

describe('createSqliteFolder', () => {
  it('creates every missing folder, and accepts folders that exist', () => {
    const file = join(dir, 'a', 'b', 'c', 'turnpike.db');
    createSqliteFolder(file);
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    createSqliteFolder(file);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a folder under /proc at once, naming the path and the reason', () => {
    const error = refusal('/proc/turnpike-no-such-folder/x/y.db');
    expect(error.code).toBe('ERR_STORE_OPEN');
    expect(error.message).toBe(
      "SQLite database /proc/turnpike-no-such-folder/x/y.db: cannot create the folder /proc/turnpike-no-such-folder (ENOENT: no such file or directory, mkdir '/proc/turnpike-no-such-folder')",
    );
    expect(error.data).toEqual({ path: '/proc/turnpike-no-such-folder/x/y.db' });
  });

  it('refuses a file where a folder should be', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const error = refusal(join(file, 'sub', 'turnpike.db'));
    expect(error.code).toBe('ERR_STORE_OPEN');
    expect(error.message).toBe(
      `SQLite database ${join(file, 'sub', 'turnpike.db')}: ${file} is not a folder`,
    );
  });
});
