/**
 * The one place that decides where an overridable setting comes from: a command-line flag,
 * else its environment variable when set and not empty, else the config file, else the schema
 * default (zod has already filled that in). Every consumer asks here instead of reading
 * `process.env`; docs/configuration.md#precedence lists the overrides.
 */
import type { StorageConfig } from './schema.js';

/** The environment variable that overrides each setting. */
export const SETTING_ENV = {
  database: 'DATABASE_URL',
  redisUrl: 'REDIS_URL',
  adminToken: 'TURNPIKE_ADMIN_TOKEN',
  webhookSecret: 'TURNPIKE_WEBHOOK_SECRET',
} as const;

/** Flags that override a setting (`turnpike start`, the tenancy commands); undefined = not given. */
export interface SettingFlags {
  readonly database?: string | undefined;
  readonly port?: number | undefined;
  readonly workers?: number | undefined;
}

/** The config sections read here; a command that knows only `storage` passes just that. */
export interface SettingsSource {
  readonly storage: Pick<StorageConfig, 'database'> & { readonly redisUrl?: string | undefined };
  readonly server?: { readonly port: number; readonly workers: number };
  readonly tenancy?: { readonly adminToken?: string | undefined };
  readonly relayer?: { readonly webhook?: { readonly secret: string } | undefined };
}

export interface EffectiveSettings {
  /** `--database` > `DATABASE_URL` > `storage.database` (default `turnpike.db`). */
  readonly database: string;
  /** `REDIS_URL` > `storage.redisUrl`; undefined = no Redis. */
  readonly redisUrl: string | undefined;
  /** `TURNPIKE_ADMIN_TOKEN` > `tenancy.adminToken`; undefined = the admin API is off. */
  readonly adminToken: string | undefined;
  /** Where `adminToken` came from, for messages. */
  readonly adminTokenFrom: typeof SETTING_ENV.adminToken | 'tenancy.adminToken';
  /** `TURNPIKE_WEBHOOK_SECRET` > `relayer.webhook.secret`; undefined = no webhooks. */
  readonly webhookSecret: string | undefined;
  /** `--port` > `server.port`; undefined without a `server` section. */
  readonly port: number | undefined;
  /** `--workers` > `server.workers`; undefined without a `server` section. */
  readonly workers: number | undefined;
}

export function effectiveSettings(
  config: SettingsSource,
  env: NodeJS.ProcessEnv = process.env,
  flags: SettingFlags = {},
): EffectiveSettings {
  const adminToken = envValue(env, SETTING_ENV.adminToken);
  const webhook = config.relayer?.webhook;
  return {
    database: flags.database ?? envValue(env, SETTING_ENV.database) ?? config.storage.database,
    redisUrl: envValue(env, SETTING_ENV.redisUrl) ?? config.storage.redisUrl,
    adminToken: adminToken ?? config.tenancy?.adminToken,
    adminTokenFrom: adminToken !== undefined ? SETTING_ENV.adminToken : 'tenancy.adminToken',
    // Only with a configured webhook: the variable replaces its secret, it does not create one.
    webhookSecret:
      webhook === undefined ? undefined : (envValue(env, SETTING_ENV.webhookSecret) ?? webhook.secret),
    port: flags.port ?? config.server?.port,
    workers: flags.workers ?? config.server?.workers,
  };
}

/** The effective database location (see `effectiveSettings`). */
export function databaseLocation(
  storage: SettingsSource['storage'],
  env: NodeJS.ProcessEnv = process.env,
): string {
  return effectiveSettings({ storage }, env).database;
}

/** The effective Redis URL, undefined = no Redis (see `effectiveSettings`). */
export function redisLocation(
  storage: SettingsSource['storage'],
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return effectiveSettings({ storage }, env).redisUrl;
}

/** A variable counts when set and not empty: `VAR=` in a shell or a compose file means unset. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
