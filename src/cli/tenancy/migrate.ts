/** `turnpike migrate`: brings the database schema to the latest migration and says which ran. */
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrations.js';
import { expectPositionals } from '../parse-flags.js';
import { runCommand } from '../run-command.js';
import { adminUsage, parseAdminFlags } from './flags.js';
import { printJson } from './output.js';
import { resolveStorageTarget } from './storage-target.js';

export const MIGRATE_USAGE = adminUsage(
  'migrate',
  'Applies pending database migrations and names each one (every other command also does so\non open).',
);

export function runMigrate(args: string[]): Promise<number> {
  return runCommand({ name: 'migrate', usage: MIGRATE_USAGE, run: migrate }, args);
}

async function migrate(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {});
  expectPositionals(positionals, []);
  const target = await resolveStorageTarget(values);
  const database = await openDatabase(target.database, { migrate: false });
  let applied: string[];
  try {
    applied = await migrateToLatest(database);
  } finally {
    await database.close();
  }
  // database.location already masks a password.
  const where =
    database.dialect === 'postgres'
      ? `${database.location} (schema ${target.database.schema})`
      : database.location;
  if (values.json) {
    printJson({
      database: database.location,
      ...(database.dialect === 'postgres' && { schema: target.database.schema }),
      applied,
    });
    return;
  }
  if (applied.length === 0) process.stdout.write(`${where}: up to date, no pending migrations\n`);
  else for (const name of applied) process.stdout.write(`${where}: applied ${name}\n`);
}
