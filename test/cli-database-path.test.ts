/**
 * A database path whose folder cannot be made fails at once with the path and the reason, exit 1
 * (docs/cli.md: the database could not be reached). Under /proc, Node 20's recursive mkdirSync
 * looped forever and `turnpike migrate --database /proc/x/y.db` hung.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { killAllCli, runCli } from './support/cli.js';

const BAD = '/proc/turnpike-no-such-folder/turnpike.db';
/** Far longer than a refusal takes, far shorter than the test's own timeout. */
const FAIL_FAST_MS = 30_000;

const dir = mkdtempSync(join(tmpdir(), 'turnpike-database-path-'));
afterEach(killAllCli);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fast(run: Promise<{ code: number | null; stdout: string; stderr: string }>) {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${FAIL_FAST_MS} ms`)), FAIL_FAST_MS);
  });
  try {
    return await Promise.race([run, hung]);
  } finally {
    clearTimeout(timer);
  }
}

function expectRefusal(result: { code: number | null; stdout: string; stderr: string }) {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('ERR_STORE_OPEN');
  expect(result.stderr).toContain(BAD);
  expect(result.stderr).toContain('cannot create the folder /proc/turnpike-no-such-folder');
  expect(result.stderr).toContain('ENOENT');
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

it('`migrate --database` under /proc exits 1 naming the path and the reason', async () => {
  expectRefusal(
    await fast(runCli(['migrate', '--database', BAD], { DATABASE_URL: undefined }, { cwd: dir })),
  );
});

it('`start` with storage.database under /proc exits 1 naming the path and the reason', async () => {
  const config = join(dir, 'turnpike.yaml');
  writeFileSync(
    config,
    [
      'storage:',
      `  database: ${BAD}`,
      'tenancy:',
      '  enabled: true',
      'networks:',
      '  eth:',
      '    chainId: 1',
      '    upstreams:',
      '      - url: http://127.0.0.1:9',
    ].join('\n'),
  );
  const result = await fast(
    runCli(
      ['start', '--config', config, '--workers', '1', '--port', '0'],
      { DATABASE_URL: undefined },
      { cwd: dir },
    ),
  );
  expectRefusal(result);
});
