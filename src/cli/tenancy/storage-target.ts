/**
 * Where the admin commands find the database and Redis, in the order an operator expects:
 * `--database`, else `DATABASE_URL`, else the `storage` section of `--config` (or of
 * `turnpike.yaml` when it exists), else `turnpike.db`. Redis comes from `REDIS_URL` or the
 * config, as for the gateway, so a change made here reaches running gateways at once.
 */
import { existsSync } from 'node:fs';
import { effectiveSettings } from '../../config/effective-settings.js';
import { formatIssues, loadConfigFile } from '../../config/load.js';
import { type StorageConfig, storageSchema } from '../../config/schema.js';
import { type DatabaseOptions, isPostgresUrl } from '../../store/database.js';
import { assertSqliteBinding } from '../../store/sqlite-binding.js';
import { UsageError } from '../parse-flags.js';
import type { CommonValues } from './flags.js';

const DEFAULT_CONFIG = 'turnpike.yaml';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

export interface StorageTarget {
  readonly database: DatabaseOptions;
  /** Undefined: no Redis, running gateways notice changes at their next database poll. */
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
}

export async function resolveStorageTarget(
  values: CommonValues,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StorageTarget> {
  const storage = await configuredStorage(values.config, env);
  if (values.database === '') throw new UsageError('--database must not be empty');
  const settings = effectiveSettings({ storage }, env, { database: values.database });
  const database = settings.database;
  const schema = values.schema ?? storage.schema;
  if (!SCHEMA_NAME.test(schema))
    throw new UsageError(`--schema must be a lowercase SQL identifier, got "${schema}"`);
  if (values.schema !== undefined && !isPostgresUrl(database))
    throw new UsageError('--schema applies to PostgreSQL only (--database postgres://…)');
  // A missing binding (an install script that did not run) gets the fix, not a stack trace.
  if (!isPostgresUrl(database)) assertSqliteBinding();
  return {
    database: { database, schema, pool: storage.pool },
    redisUrl: settings.redisUrl,
    redisKeyPrefix: storage.redisKeyPrefix,
  };
}

/** The `storage` section of the config file, or the defaults when there is no file. */
async function configuredStorage(file: string | undefined, env: NodeJS.ProcessEnv): Promise<StorageConfig> {
  if (file === undefined && !existsSync(DEFAULT_CONFIG)) return storageSchema.parse({});
  const path = file ?? DEFAULT_CONFIG;
  const result = await loadConfigFile(path, env);
  if (!result.ok) throw new UsageError(`${formatIssues(result.issues)}\n${path}: invalid configuration`);
  return result.config.storage;
}
