/**
 * Schema migrations, in code so the package carries them. Run on start and by
 * `turnpike migrate`; Kysely's migrator takes a lock, so processes starting together are safe.
 * Never edit a released migration: add the next one.
 */
import { type ColumnDefinitionBuilder, type Kysely, type Migration, Migrator, sql } from 'kysely';
import type { Dialect, StoreDatabase } from './store-database.js';
import { IS_OPEN, IS_QUEUED } from './transfer-predicates.js';

/** `bigint` in PostgreSQL (read back as numbers), `integer` (64-bit) in SQLite. */
const BIG = 'bigint';

/** An auto-increment integer key in either dialect. */
function serialKey(dialect: Dialect) {
  return dialect === 'postgres'
    ? (c: ColumnDefinitionBuilder) => c.primaryKey().generatedByDefaultAsIdentity()
    : (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement();
}

const migrations = (dialect: Dialect): Record<string, Migration> => ({
  '0001-tenancy': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('plans')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('rate_per_second', 'double precision')
        .addColumn('rate_burst', 'integer')
        .addColumn('rate_per_method', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('monthly_quota', BIG)
        .addColumn('quota_unit', 'text', (c) => c.notNull().defaultTo('requests'))
        .addColumn('compute_units', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('allowed_networks', 'text')
        .addColumn('allowed_methods', 'text')
        .addColumn('denied_methods', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', BIG, (c) => c.notNull())
        .addColumn('updated_at', BIG, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('projects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id'))
        .addColumn('credits', BIG)
        .addColumn('created_at', BIG, (c) => c.notNull())
        .addColumn('updated_at', BIG, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('projects_plan').on('projects').column('plan_id').execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', BIG, (c) => c.notNull())
        .addColumn('expires_at', BIG)
        .addColumn('revoked_at', BIG)
        .addColumn('rotated_from', 'text')
        .execute();
      await db.schema.createIndex('api_keys_project').on('api_keys').column('project_id').execute();
      await db.schema
        .createTable('credit_entries')
        .addColumn('id', dialect === 'postgres' ? 'bigint' : 'integer', serialKey(dialect))
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('amount', BIG, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', BIG, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('credit_entries_project')
        .on('credit_entries')
        .columns(['project_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('usage_daily')
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('requests', BIG, (c) => c.notNull())
        .addColumn('compute_units', BIG, (c) => c.notNull())
        .addColumn('bytes', BIG, (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_daily_pk', ['day', 'key_id', 'network', 'method', 'outcome'])
        .execute();
      await db.schema
        .createIndex('usage_daily_project_day')
        .on('usage_daily')
        .columns(['project_id', 'day'])
        .execute();
      await db.schema
        .createIndex('usage_daily_key_day')
        .on('usage_daily')
        .columns(['key_id', 'day'])
        .execute();
      await db.schema
        .createTable('tenancy_changes')
        .addColumn('id', dialect === 'postgres' ? 'bigint' : 'integer', serialKey(dialect))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('created_at', BIG, (c) => c.notNull())
        .execute();
    },
  },
  '0002-relayer': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('relayer_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('transfer_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', BIG, (c) => c.notNull())
        .addUniqueConstraint('relayer_requests_key', ['scope', 'idempotency_key'])
        .execute();
      await db.schema
        .createTable('relayer_transfers')
        .addColumn('seq', dialect === 'postgres' ? 'bigint' : 'integer', serialKey(dialect))
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('project_id', 'text')
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('amount', 'text', (c) => c.notNull())
        .addColumn('memo', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('batch_id', 'text')
        .addColumn('tx_hash', 'text')
        .addColumn('block_number', BIG)
        .addColumn('created_at', BIG, (c) => c.notNull())
        .addColumn('updated_at', BIG, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('relayer_transfers_claim')
        .on('relayer_transfers')
        .columns(['state', 'token', 'seq'])
        .execute();
      await db.schema
        .createIndex('relayer_transfers_project')
        .on('relayer_transfers')
        .columns(['project_id', 'state', 'seq'])
        .execute();
      await db.schema
        .createIndex('relayer_transfers_request')
        .on('relayer_transfers')
        .columns(['request_id', 'position'])
        .execute();
      await db.schema
        .createIndex('relayer_transfers_batch')
        .on('relayer_transfers')
        .column('batch_id')
        .execute();
      await db.schema
        .createTable('relayer_batches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_address', 'text', (c) => c.notNull())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('created_at', BIG, (c) => c.notNull())
        .addColumn('updated_at', BIG, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('relayer_batches_key')
        .on('relayer_batches')
        .columns(['key_address', 'state'])
        .execute();
      await db.schema
        .createTable('relayer_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_address', 'text', (c) => c.notNull())
        .addColumn('nonce', BIG, (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('batch_id', 'text')
        .addColumn('raw', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('max_fee', 'text', (c) => c.notNull())
        .addColumn('max_priority_fee', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', BIG, (c) => c.notNull())
        .addColumn('submitted_at', BIG)
        .execute();
      await db.schema
        .createIndex('relayer_attempts_key')
        .on('relayer_attempts')
        .columns(['key_address', 'state', 'nonce'])
        .execute();
      await db.schema
        .createIndex('relayer_attempts_batch')
        .on('relayer_attempts')
        .column('batch_id')
        .execute();
      await db.schema
        .createTable('relayer_keys')
        .addColumn('address', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text')
        .addColumn('lease_expires_at', BIG, (c) => c.notNull().defaultTo(0))
        .addColumn('fencing_token', BIG, (c) => c.notNull().defaultTo(0))
        .addColumn('next_nonce', BIG)
        .execute();
      await db.schema
        .createTable('relayer_webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transfer_id', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_at', BIG, (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('delivered_at', BIG)
        .execute();
      await db.schema
        .createIndex('relayer_webhooks_due')
        .on('relayer_webhooks')
        .columns(['state', 'next_at'])
        .execute();
    },
  },
  '0003-relayer-claim-index': {
    async up(db: Kysely<unknown>) {
      // claimBatch first finds the oldest accepted transfer of any token; without this index
      // that query sorted every waiting row (8 ms at 40,000 waiting), and a backlog fed itself.
      // It also makes the open-state counts behind back-pressure and /metrics a range scan.
      await db.schema
        .createIndex('relayer_transfers_state_seq')
        .on('relayer_transfers')
        .columns(['state', 'seq'])
        .execute();
    },
  },
  '0004-relayer-partial-indexes': {
    async up(db: Kysely<unknown>) {
      // Indexes led by `state` changed at every step of every transfer (accepted → batched →
      // signed → submitted → confirmed): two of them, delete + insert each time. Partial indexes
      // change only when a row enters or leaves the set they cover (the queue: accepted), or
      // while it is in it (the open set, which confirmed and failed rows leave for good). Queries name the same literal predicate (relayer-states.ts), which
      // SQLite needs before it uses a partial index.
      await db.schema.dropIndex('relayer_transfers_claim').execute();
      await db.schema.dropIndex('relayer_transfers_state_seq').execute();
      await db.schema
        .createIndex('relayer_transfers_queue_token')
        .on('relayer_transfers')
        .columns(['token', 'seq'])
        .where(IS_QUEUED)
        .execute();
      await db.schema
        .createIndex('relayer_transfers_queue')
        .on('relayer_transfers')
        .column('seq')
        .where(IS_QUEUED)
        .execute();
      // Led by state, so counting the open set reads this index alone (SQLite preferred a full
      // scan of relayer_transfers_project over a (seq) index here).
      await db.schema
        .createIndex('relayer_transfers_open')
        .on('relayer_transfers')
        .columns(['state', 'seq'])
        .where(IS_OPEN)
        .execute();
    },
  },
  '0005-relayer-batch-index-partial': {
    async up(db: Kysely<unknown>) {
      // Every transfer is stored without a batch: the full index took one entry per accepted
      // transfer for nothing. Lookups name a batch id (`batch_id = …`, `in (…)`), which both
      // databases match to an IS NOT NULL partial index.
      await db.schema.dropIndex('relayer_transfers_batch').execute();
      await db.schema
        .createIndex('relayer_transfers_batch')
        .on('relayer_transfers')
        .column('batch_id')
        .where(sql.ref('batch_id'), 'is not', null)
        .execute();
    },
  },
  '0006-relayer-fair-claims': {
    async up(db: Kysely<unknown>) {
      // When a signing key found the transfer larger than all it can pay of the token (balance
      // or allowance); cleared when a key claims it. A transfer left so for
      // `relayer.unfundedTimeoutMs` fails (ERR_RELAYER_INSUFFICIENT_FUNDS).
      await db.schema.alterTable('relayer_transfers').addColumn('unfunded_at', BIG).execute();
      // The claim takes each project's oldest waiting transfers in turn: the projects with a
      // queue are found by skipping through this index (one seek each), their heads read from it.
      await db.schema
        .createIndex('relayer_transfers_queue_project')
        .on('relayer_transfers')
        .columns(['project_id', 'seq'])
        .where(IS_QUEUED)
        .execute();
      // Holds only the few transfers waiting for a key that can pay them.
      await db.schema
        .createIndex('relayer_transfers_unfunded')
        .on('relayer_transfers')
        .column('unfunded_at')
        .where(sql.ref('unfunded_at'), 'is not', null)
        .execute();
    },
  },
  '0007-relayer-failure-codes': {
    async up(db: Kysely<unknown>) {
      // The code of a failed transfer's `error` on its own (relayer/transfer-failure.ts), so it
      // is read without parsing text. Every failure stored so far starts `CODE: `: the code is
      // taken from there (a failure of any other text keeps null). The codes are written out:
      // a migration must not change when the code base later does.
      await db.schema.alterTable('relayer_transfers').addColumn('error_code', 'text').execute();
      for (const code of [
        'ERR_RELAYER_INSUFFICIENT_FUNDS',
        'ERR_RELAYER_TRANSFER_REVERTED',
        'ERR_RELAYER_PREFLIGHT',
      ]) {
        const prefix = `${code}:`;
        await sql`update relayer_transfers set error_code = ${code}
          where state = 'failed' and substr(error, 1, ${sql.lit(prefix.length)}) = ${prefix}`.execute(db);
      }
    },
  },
  '0008-relayer-batch-progress': {
    async up(db: Kysely<unknown>) {
      // A transfer stays `batched` on its row while its batch is signed and submitted: those
      // steps, and a replacement's newer hash, are written once on the batch row (its state and
      // this column) instead of on every transfer of it. Readers show the batch's state for a
      // `batched` transfer (relayer/sql-relayer-progress.ts).
      await db.schema.alterTable('relayer_batches').addColumn('tx_hash', 'text').execute();
      // Room on each page for the two updates every transfer row still gets, so the new
      // version lands beside the old one (PostgreSQL only; SQLite rewrites the row in place).
      if (dialect === 'postgres') await sql`alter table relayer_transfers set (fillfactor = 80)`.execute(db);
    },
  },
});

const INVALID_SCHEMA_NAME = '3F000';

export async function migrateToLatest(store: StoreDatabase): Promise<string[]> {
  if (store.dialect === 'postgres') {
    // The pool's search_path names the schema; it must exist before anything goes in it.
    await sql`create schema if not exists ${sql.id(store.schema)}`.execute(store.db);
  }
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations(store.dialect) },
    // Kysely looks for its own tables in every schema unless told which: without this, a
    // second schema in the same database (another deployment, a test run) would skip them.
    ...(store.dialect === 'postgres' && { migrationTableSchema: store.schema }),
  });
  // Kysely's check for its own tables lists the tables of every schema; a schema another
  // session drops at that moment fails the listing ("schema … does not exist"). That says
  // nothing about ours, so look again.
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (error === undefined)
      return (results ?? [])
        .filter((result) => result.status === 'Success')
        .map((result) => result.migrationName);
    const otherSchemaVanished =
      (error as { code?: unknown }).code === INVALID_SCHEMA_NAME &&
      !String((error as Error).message).includes(`"${store.schema}"`);
    if (!otherSchemaVanished || attempt === 5) throw error;
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
}
