/**
 * What `turnpike dev` sets up so a newcomer can try keys at once: a fresh SQLite database in a
 * temporary folder, a `dev` plan (10,000 requests/s, so it never gets in the way), a `dev`
 * project and one API key, and a random admin token. The network stays keyless too, so plain
 * `curl` works; the key shows what metering and the admin API do.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../store/database.js';
import { SqlTenancyStore } from '../tenancy/sql-tenancy-store.js';

export interface DevTenancy {
  readonly database: string;
  readonly apiKey: string;
  readonly adminToken: string;
  /** Removes the database folder. */
  remove(): void;
}

export async function createDevTenancy(): Promise<DevTenancy> {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-dev-'));
  const database = join(dir, 'turnpike.db');
  const store = await openDatabase({
    database,
    schema: 'public',
    pool: { max: 1, idleTimeoutMs: 1_000, connectionTimeoutMs: 1_000, statementTimeoutMs: 1_000 },
  });
  try {
    const tenancy = new SqlTenancyStore(store);
    const plan = await tenancy.createPlan({ name: 'dev', rateLimit: { perSecond: 10_000, burst: 10_000 } });
    const project = await tenancy.createProject({ name: 'dev', planId: plan.id });
    const { secret } = await tenancy.createKey({ projectId: project.id, name: 'dev' });
    return {
      database,
      apiKey: secret,
      adminToken: randomBytes(18).toString('base64url'),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } finally {
    await store.close();
  }
}
