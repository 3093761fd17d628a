/**
 * The tenancy admin commands (`migrate`, `plans`, `projects`, `credits`, `keys`, `usage`) through
 * the real binary, against a SQLite file and a PostgreSQL schema: output shapes, exit codes,
 * a key's secret printed once and stored nowhere, usage totals, and the Redis change notice.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseOptions, openDatabase, type StoreDatabase } from '../src/store/database.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { ROOT, waitFor } from './support/cli.js';
import { POSTGRES_URL, REDIS_URL, randomName, type TestDialect } from './support/databases.js';

const BIN = join(ROOT, 'bin', 'turnpike.js');
const POOL = { max: 2, idleTimeoutMs: 5_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 10_000 };
const SECRET = /tp_[0-9A-Za-z]{32}/g;
const TABLES = ['plans', 'projects', 'api_keys', 'credit_entries', 'usage_daily', 'tenancy_changes'] as const;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/turnpike.js …` to completion; no DATABASE_URL / REDIS_URL unless given. */
function turnpike(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const env = { ...process.env, DATABASE_URL: undefined, REDIS_URL: undefined, ...options.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed with `--json` and returns its document. */
async function json<T = Record<string, unknown>>(args: string[], target: Target): Promise<T> {
  const run = await turnpike([...args, ...target.args, '--json']);
  expect(run.code, `turnpike ${args.join(' ')}\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as T;
}

async function ok(args: string[], target: Target): Promise<string> {
  const run = await turnpike([...args, ...target.args]);
  expect(run.code, `turnpike ${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

/** A database the CLI is pointed at, which the test can also open and read. */
interface Target {
  readonly args: string[];
  readonly options: DatabaseOptions;
  /** Every row of every tenancy table as text, plus the raw database files for SQLite. */
  everythingStored(): Promise<string>;
  drop(): Promise<void>;
}

function createTarget(dialect: TestDialect): Target {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'turnpike-cli-tenancy-'));
    const file = join(dir, 'tenancy.db');
    const options: DatabaseOptions = { database: file, schema: 'public', pool: POOL };
    return {
      args: ['--database', file],
      options,
      async everythingStored() {
        const rows = await withStore(options, dumpTables);
        // The WAL and journal files too: a secret must not sit in a page not yet checkpointed.
        const files = readdirSync(dir).map((name) => readFileSync(join(dir, name)).toString('latin1'));
        return rows + files.join('\n');
      },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = randomName('tp_cli_');
  const options: DatabaseOptions = { database: POSTGRES_URL, schema, pool: POOL };
  return {
    args: ['--database', POSTGRES_URL, '--schema', schema],
    options,
    everythingStored: () => withStore(options, dumpTables),
    drop: () =>
      withStore(options, async (store) => {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      }),
  };
}

async function withStore<T>(
  options: DatabaseOptions,
  work: (store: StoreDatabase) => Promise<T>,
): Promise<T> {
  const store = await openDatabase(options, { migrate: false });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function dumpTables(store: StoreDatabase): Promise<string> {
  const parts: string[] = [];
  for (const table of TABLES)
    parts.push(JSON.stringify(await store.db.selectFrom(table).selectAll().execute()));
  return parts.join('\n');
}

interface KeyJson {
  id: string;
  projectId: string;
  prefix: string;
  name: string;
  status: string;
  expiresAt?: number;
  revokedAt?: number;
}

describe.each<TestDialect>(['sqlite', 'postgres'])('tenancy commands on %s', (dialect) => {
  let target: Target;

  beforeAll(() => {
    target = createTarget(dialect);
  });
  afterAll(() => target.drop());

  it('migrate applies the schema, then reports it up to date', async () => {
    const first = await turnpike(['migrate', ...target.args]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /: applied 0001-tenancy\n.*: applied 0002-relayer\n.*: applied 0003-relayer-claim-index\n.*: applied 0004-relayer-partial-indexes\n.*: applied 0005-relayer-batch-index-partial\n.*: applied 0006-relayer-fair-claims\n.*: applied 0007-relayer-failure-codes\n.*: applied 0008-relayer-batch-progress\n$/,
    );
    const second = await turnpike(['migrate', ...target.args]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/: up to date, no pending migrations\n$/);
    expect(await json(['migrate'], target)).toMatchObject({ applied: [] });
  });

  it('plans: create with every flag, update clears limits, delete is refused while in use', async () => {
    const flags = ['--rate', '10', '--burst', '20', '--per-method', '--quota', '1000000'];
    const more = [
      '--quota-unit',
      'compute_units',
      '--networks',
      'eth,base',
      '--allow',
      'eth_call,eth_getLogs',
    ];
    const rules = ['--deny', 'eth_sign', '--cu', 'eth_call=30,eth_getLogs=100'];
    const plan = await json(['plans', 'create', '--name', 'pro', ...flags, ...more, ...rules], target);
    expect(plan).toMatchObject({
      name: 'pro',
      rateLimit: { perSecond: 10, burst: 20 },
      ratePerMethod: true,
      monthlyQuota: 1_000_000,
      quotaUnit: 'compute_units',
      allowedNetworks: ['eth', 'base'],
      allowedMethods: ['eth_call', 'eth_getLogs'],
      deniedMethods: ['eth_sign'],
      computeUnits: { eth_call: 30, eth_getLogs: 100 },
    });
    const listed = await json<{ id: string }[]>(['plans', 'list'], target);
    expect(listed.map((p) => p.id)).toContain(plan.id);

    const updated = await json(
      ['plans', 'update', 'pro', '--no-rate', '--all-methods', '--quota', '5'],
      target,
    );
    expect(updated).toMatchObject({ id: plan.id, monthlyQuota: 5, allowedNetworks: ['eth', 'base'] });
    expect(updated).not.toHaveProperty('rateLimit');
    expect(updated).not.toHaveProperty('allowedMethods');
    const shown = await ok(['plans', 'show', String(plan.id)], target);
    expect(shown).toMatch(/^rate: +unlimited$/m);
    expect(shown).toMatch(/^quota: +5 compute units\/month$/m);

    await json(['projects', 'create', '--name', 'plan-user', '--plan', 'pro'], target);
    const refused = await turnpike(['plans', 'delete', 'pro', ...target.args]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_ADMIN_CONFLICT: .*used by project "plan-user"/);

    await json(['plans', 'create', '--name', 'unused'], target);
    expect(await ok(['plans', 'delete', 'unused'], target)).toMatch(/^deleted plan pln_\w+ \(unused\)$/m);
    const missing = await turnpike(['plans', 'show', 'unused', ...target.args]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ERR_ADMIN_NOT_FOUND');
  });

  it('keys: the secret is printed once by create and rotate and stored nowhere', async () => {
    await json(['plans', 'create', '--name', 'keyed'], target);
    const project = await json(['projects', 'create', '--name', 'acme', '--plan', 'keyed'], target);

    const created = await turnpike(['keys', 'create', '--project', 'acme', '--name', 'ci', ...target.args]);
    expect(created.code).toBe(0);
    const secrets = created.stdout.match(SECRET) ?? [];
    expect(secrets).toHaveLength(1);
    expect(created.stdout).toContain('shown only once');
    expect(created.stderr).not.toMatch(SECRET);
    const first = secrets[0]!;

    const second = await json<{ key: KeyJson; secret: string }>(
      ['keys', 'create', '--project', 'acme'],
      target,
    );
    expect(second.secret).toMatch(SECRET);
    expect(second.key).toMatchObject({
      projectId: project.id,
      prefix: second.secret.slice(0, 8),
      status: 'active',
    });

    const listedRun = await turnpike(['keys', 'list', '--project', 'acme', '--json', ...target.args]);
    expect(listedRun.stdout).not.toMatch(SECRET);
    const listed = JSON.parse(listedRun.stdout) as KeyJson[];
    expect(listed.map((key) => [key.prefix, key.name, key.status])).toEqual([
      [first.slice(0, 8), 'ci', 'active'],
      [second.secret.slice(0, 8), '', 'active'],
    ]);
    const firstId = listed[0]!.id;

    const stored = await target.everythingStored();
    for (const secret of [first, second.secret]) {
      expect(stored).not.toContain(secret);
      // The check reads the right rows: the hash and the display prefix are there.
      expect(stored).toContain(createHash('sha256').update(secret).digest('hex'));
      expect(stored).toContain(secret.slice(0, 8));
    }

    const rotated = await json<{ key: KeyJson; secret: string; replaced: KeyJson }>(
      ['keys', 'rotate', firstId, '--grace', '3600'],
      target,
    );
    expect(rotated.secret).toMatch(SECRET);
    expect(rotated.key).toMatchObject({ name: 'ci', status: 'active' });
    expect(rotated.replaced).toMatchObject({ id: firstId, status: 'expiring' });
    expect(await target.everythingStored()).not.toContain(rotated.secret);

    const revoked = await ok(['keys', 'revoke', second.key.id], target);
    expect(revoked).toMatch(new RegExp(`^revoked key ${second.key.id} `));
    const table = await ok(['keys', 'list'], target);
    expect(table).not.toMatch(SECRET);
    expect(table).toMatch(/^ID +PREFIX +NAME +PROJECT +CREATED +STATUS$/m);
    expect(table).toMatch(
      new RegExp(`^${firstId} .* acme .* expires \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`, 'm'),
    );
    expect(table).toMatch(new RegExp(`^${second.key.id} .* revoked$`, 'm'));
    expect(table).toMatch(new RegExp(`^${rotated.key.id} .* active$`, 'm'));
    const statuses = await json<KeyJson[]>(['keys', 'list', '--project', String(project.id)], target);
    expect(statuses.map((key) => key.status)).toEqual(['expiring', 'revoked', 'active']);

    const again = await turnpike(['keys', 'rotate', second.key.id, ...target.args]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ERR_ADMIN_CONFLICT');
  });

  it('credits add tops up and corrects; projects show and update', async () => {
    await json(['plans', 'create', '--name', 'prepaid'], target);
    await json(['plans', 'create', '--name', 'bigger'], target);
    await json(['projects', 'create', '--name', 'wallet', '--plan', 'prepaid', '--credits', '1000'], target);
    expect(await json(['credits', 'add', 'wallet', '500', '--reason', 'invoice 7'], target)).toMatchObject({
      added: 500,
      credits: 1500,
    });
    expect(await ok(['credits', 'add', 'wallet', '-200'], target)).toMatch(
      /^removed 200 credits from project wallet \(prj_\w+\); balance 1,300$/m,
    );
    const shown = await json(['projects', 'show', 'wallet'], target);
    expect(shown).toMatchObject({ name: 'wallet', planName: 'prepaid', credits: 1300 });
    expect(shown.monthToDate).toEqual({ requests: 0, computeUnits: 0 });

    const moved = await json(
      ['projects', 'update', 'wallet', '--name', 'wallet2', '--plan', 'bigger'],
      target,
    );
    expect(moved).toMatchObject({ id: shown.id, name: 'wallet2', credits: 1300 });
    expect(await ok(['projects', 'list'], target)).toMatch(/^prj_\w+ +wallet2 +bigger +1,300 /m);

    const duplicate = await turnpike([
      'projects',
      'create',
      '--name',
      'wallet2',
      '--plan',
      'bigger',
      ...target.args,
    ]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('ERR_ADMIN_CONFLICT');
  });

  it('usage sums what the meter recorded, filtered and grouped', async () => {
    await json(['plans', 'create', '--name', 'metered'], target);
    const project = await json<{ id: string }>(
      ['projects', 'create', '--name', 'meter', '--plan', 'metered', '--credits', '1000'],
      target,
    );
    const keyA = (await json<{ key: KeyJson }>(['keys', 'create', '--project', 'meter'], target)).key.id;
    const keyB = (await json<{ key: KeyJson }>(['keys', 'create', '--project', 'meter'], target)).key.id;
    const today = new Date().toISOString().slice(0, 10);
    const row = (
      day: string,
      keyId: string,
      network: string,
      method: string,
      outcome: string,
      counts: number[],
    ) => ({
      day,
      projectId: project.id,
      keyId,
      network,
      method,
      outcome,
      requests: counts[0]!,
      computeUnits: counts[1]!,
      bytes: counts[2]!,
    });
    await withStore(target.options, (store) =>
      new SqlTenancyStore(store).recordUsage([
        row('2025-01-01', keyA, 'eth', 'eth_call', 'ok', [10, 300, 1000]),
        row('2025-01-01', keyA, 'eth', 'eth_getLogs', 'ok', [2, 200, 5000]),
        row('2025-01-02', keyB, 'base', 'eth_call', 'ok', [5, 150, 500]),
        row('2025-01-02', keyB, 'base', 'eth_call', 'ERR_RATE_LIMITED', [3, 0, 0]),
        row(today, keyA, 'eth', 'eth_call', 'ok', [4, 120, 400]),
        // Another project's usage, which the --project filter must leave out.
        {
          ...row('2025-01-01', 'key_other', 'eth', 'eth_call', 'ok', [100, 3000, 1]),
          projectId: 'prj_other',
        },
      ]),
    );

    const byDay = await json<{ rows: unknown[]; total: unknown }>(
      ['usage', '--project', 'meter', '--group-by', 'day,method'],
      target,
    );
    expect(byDay.rows).toEqual([
      { day: '2025-01-01', method: 'eth_call', requests: 10, computeUnits: 300, bytes: 1000 },
      { day: '2025-01-01', method: 'eth_getLogs', requests: 2, computeUnits: 200, bytes: 5000 },
      { day: '2025-01-02', method: 'eth_call', requests: 8, computeUnits: 150, bytes: 500 },
      { day: today, method: 'eth_call', requests: 4, computeUnits: 120, bytes: 400 },
    ]);
    expect(byDay.total).toEqual({ requests: 24, computeUnits: 770, bytes: 6900 });

    const oneKeyOneDay = await json<{ rows: unknown[] }>(
      ['usage', '--key', keyB, '--from', '2025-01-02', '--to', '2025-01-02', '--group-by', 'network,outcome'],
      target,
    );
    expect(oneKeyOneDay.rows).toEqual([
      { network: 'base', outcome: 'ERR_RATE_LIMITED', requests: 3, computeUnits: 0, bytes: 0 },
      { network: 'base', outcome: 'ok', requests: 5, computeUnits: 150, bytes: 500 },
    ]);

    const everything = await json<{ rows: unknown[] }>(
      ['usage', '--to', '2025-01-31', '--group-by', ''],
      target,
    );
    expect(everything.rows).toEqual([{ requests: 120, computeUnits: 3650, bytes: 6501 }]);

    const table = await ok(['usage', '--project', 'meter', '--to', '2025-01-31'], target);
    expect(table.split('\n')).toEqual([
      'DAY         REQUESTS  COMPUTE UNITS  BYTES',
      '2025-01-01        12            500  6,000',
      '2025-01-02         8            150    500',
      'TOTAL             20            650  6,500',
      '',
    ]);

    // Month to date counts only today's served requests; the meter debited every compute unit.
    const shown = await json(['projects', 'show', 'meter'], target);
    expect(shown.monthToDate).toEqual({ requests: 4, computeUnits: 120 });
    expect(shown.credits).toBe(1000 - 770);
  });

  it('operations on what does not exist exit 1 with ERR_ADMIN_NOT_FOUND', async () => {
    for (const args of [
      ['projects', 'show', 'nope'],
      ['keys', 'create', '--project', 'nope'],
      ['credits', 'add', 'nope', '5'],
      ['keys', 'revoke', 'key_nope'],
      ['usage', '--project', 'nope'],
    ]) {
      const run = await turnpike([...args, ...target.args]);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/^turnpike [a-z ]+: ERR_ADMIN_NOT_FOUND: no (project|key) with id/);
      expect(run.stdout).toBe('');
    }
  });
});

describe('bad usage exits 2 before touching the database', () => {
  // A database path that cannot be created: any attempt to open it would fail with exit 1.
  const nowhere = ['--database', '/proc/turnpike-nowhere/tenancy.db'];

  it.each([
    [['plans', 'create', '--name', 'x', '--rate', 'fast'], /--rate must be a number > 0, got "fast"/],
    [['plans', 'create', '--rate', '5'], /--name is required/],
    [['plans', 'create', '--name', 'x', '--cu', 'eth_call'], /--cu expects method=units pairs/],
    [['plans', 'update', 'x', '--rate', '1', '--no-rate'], /--rate and --no-rate cannot be used together/],
    [['plans', 'update', 'x'], /nothing to change/],
    [['keys', 'list', '--bogus'], /unknown option --bogus\n/],
    [['keys', 'list', '--projcet', 'p'], /unknown option --projcet \(did you mean --project\?\)/],
    [['keys', 'create'], /--project is required/],
    [['keys', 'revoke'], /missing <key id>/],
    [['keys', 'rotate', 'key_x', '--grace', '-5'], /--grace must be a whole number >= 0, got "-5"/],
    [['credits', 'add', 'acme'], /missing <amount>/],
    [['credits', 'add', 'acme', '1.5'], /<amount> must be a whole number, got "1.5"/],
    [['projects', 'show', 'a', 'b'], /unexpected argument "b"/],
    [['usage', '--group-by', 'week'], /--group-by: "week" is not one of day, project, key/],
    [['usage', '--from', '2025-02-30'], /--from must be a day written YYYY-MM-DD/],
    [['plans', 'list', '--schema', 'x'], /--schema applies to PostgreSQL only/],
    [['plans', 'frobnicate'], /unknown command "plans frobnicate"/],
  ])('turnpike %j', async (args, message) => {
    const run = await turnpike([...args, ...nowhere]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('prints the usage of a command group on help', async () => {
    const run = await turnpike(['keys', 'help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: turnpike keys <command>/);
    const top = await turnpike(['help']);
    for (const command of ['migrate', 'plans', 'projects', 'credits', 'keys', 'usage', 'start', 'validate'])
      expect(top.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});

describe('where the database and Redis are', () => {
  let dir: string;
  let subscriber: Redis;
  const prefix = `${randomName('tp_cli_')}:`;
  const notices: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'turnpike-cli-config-'));
    // The default config file of the working directory, with a relative database path.
    writeFileSync(
      join(dir, 'turnpike.yaml'),
      `storage:\n  database: data/from-config.db\n  redisKeyPrefix: "${prefix}"\nnetworks:\n  eth:\n    upstreams:\n      - url: http://127.0.0.1:8545\n`,
    );
    subscriber = new Redis(REDIS_URL);
    subscriber.on('message', (channel: string) => notices.push(channel));
    await subscriber.subscribe(`${prefix}tenancy:changes`);
  });
  afterAll(async () => {
    subscriber.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads turnpike.yaml by default; DATABASE_URL and --database win over it', async () => {
    const fromConfig = await turnpike(['migrate', '--json'], { cwd: dir });
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    expect(JSON.parse(fromConfig.stdout)).toEqual({
      database: join(dir, 'data', 'from-config.db'),
      applied: [
        '0001-tenancy',
        '0002-relayer',
        '0003-relayer-claim-index',
        '0004-relayer-partial-indexes',
        '0005-relayer-batch-index-partial',
        '0006-relayer-fair-claims',
        '0007-relayer-failure-codes',
        '0008-relayer-batch-progress',
      ],
    });
    const fromEnv = await turnpike(['migrate', '--json'], {
      cwd: dir,
      env: { DATABASE_URL: join(dir, 'env.db') },
    });
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ database: join(dir, 'env.db') });
    const fromFlag = await turnpike(['migrate', '--json', '--database', 'flag.db'], {
      cwd: dir,
      env: { DATABASE_URL: join(dir, 'env.db') },
    });
    expect(JSON.parse(fromFlag.stdout)).toMatchObject({ database: join(dir, 'flag.db') });
  });

  it('masks the password of a PostgreSQL URL it prints', async () => {
    const url = new URL(POSTGRES_URL);
    if (url.password === '') url.password = 'not-a-real-password';
    const schema = randomName('tp_cli_');
    const run = await turnpike(['migrate', '--database', url.href, '--schema', schema]);
    try {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).not.toContain(url.password);
      expect(run.stdout).toContain(':***@');
    } finally {
      await withStore({ database: POSTGRES_URL, schema, pool: POOL }, async (store) => {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      });
    }
  });

  it('announces each change on Redis so running gateways refresh at once', async () => {
    const env = { REDIS_URL };
    const run = (args: string[]) => turnpike([...args, '--json'], { cwd: dir, env });
    expect((await run(['plans', 'create', '--name', 'free'])).code).toBe(0);
    expect((await run(['projects', 'create', '--name', 'acme', '--plan', 'free'])).code).toBe(0);
    const created = await run(['keys', 'create', '--project', 'acme']);
    const { key } = JSON.parse(created.stdout) as { key: KeyJson };
    await waitFor('three notices', () => (notices.length >= 3 ? true : undefined));
    notices.length = 0;

    expect((await run(['keys', 'list'])).code).toBe(0);
    const revoked = await run(['keys', 'revoke', key.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    await waitFor('the revoke notice', () => (notices.length > 0 ? true : undefined));
    // Reading announces nothing: the one notice is the revocation's.
    expect(notices).toEqual([`${prefix}tenancy:changes`]);
  });
});
