import { describe, expect, it } from 'vitest';
import { databaseLocation, effectiveSettings, envValue, redisLocation } from './effective-settings.js';
import { resolveConfig } from './load.js';

const config = resolveConfig({
  storage: { database: 'file.db', redisUrl: 'redis://file:6379' },
  server: { port: 4100, workers: 3 },
  tenancy: { adminToken: 'f'.repeat(16) },
  relayer: { webhook: { url: 'http://127.0.0.1:9/hook', secret: 's'.repeat(16) } },
  networks: { eth: { upstreams: [{ url: 'http://127.0.0.1:8545' }] } },
});

describe('effectiveSettings: flag > environment > file > default', () => {
  it('takes the file when nothing overrides it', () => {
    expect(effectiveSettings(config, {})).toEqual({
      database: 'file.db',
      redisUrl: 'redis://file:6379',
      adminToken: 'f'.repeat(16),
      adminTokenFrom: 'tenancy.adminToken',
      webhookSecret: 's'.repeat(16),
      port: 4100,
      workers: 3,
    });
  });

  it('lets a set, non-empty variable win over the file', () => {
    const env = {
      DATABASE_URL: 'postgres://env/db',
      REDIS_URL: 'redis://env:6379',
      TURNPIKE_ADMIN_TOKEN: 'e'.repeat(16),
      TURNPIKE_WEBHOOK_SECRET: 'w'.repeat(16),
    };
    expect(effectiveSettings(config, env)).toMatchObject({
      database: 'postgres://env/db',
      redisUrl: 'redis://env:6379',
      adminToken: 'e'.repeat(16),
      adminTokenFrom: 'TURNPIKE_ADMIN_TOKEN',
      webhookSecret: 'w'.repeat(16),
    });
  });

  it('treats an empty variable as unset', () => {
    const env = { DATABASE_URL: '', REDIS_URL: '', TURNPIKE_ADMIN_TOKEN: '', TURNPIKE_WEBHOOK_SECRET: '' };
    expect(effectiveSettings(config, env)).toEqual(effectiveSettings(config, {}));
    expect(envValue({ X: '' }, 'X')).toBeUndefined();
    expect(envValue({ X: 'x' }, 'X')).toBe('x');
  });

  it('lets flags win over the environment and the file', () => {
    const settings = effectiveSettings(
      config,
      { DATABASE_URL: 'postgres://env/db' },
      {
        database: 'flag.db',
        port: 0,
        workers: 1,
      },
    );
    expect(settings).toMatchObject({ database: 'flag.db', port: 0, workers: 1 });
  });

  it('falls back to the schema defaults', () => {
    const bare = resolveConfig({ networks: { eth: { upstreams: [{ url: 'http://127.0.0.1:8545' }] } } });
    expect(effectiveSettings(bare, {})).toMatchObject({
      database: 'turnpike.db',
      redisUrl: undefined,
      adminToken: undefined,
      webhookSecret: undefined,
    });
  });

  it('does not make a webhook out of the variable alone', () => {
    const bare = resolveConfig({ networks: { eth: { upstreams: [{ url: 'http://127.0.0.1:8545' }] } } });
    expect(
      effectiveSettings(bare, { TURNPIKE_WEBHOOK_SECRET: 'w'.repeat(16) }).webhookSecret,
    ).toBeUndefined();
  });

  it('answers storage-only callers with the same rule', () => {
    const storage = { database: 'file.db', redisUrl: 'redis://file:6379' };
    expect(databaseLocation(storage, { DATABASE_URL: 'env.db' })).toBe('env.db');
    expect(databaseLocation(storage, { DATABASE_URL: '' })).toBe('file.db');
    expect(redisLocation(storage, { REDIS_URL: 'redis://env:1' })).toBe('redis://env:1');
    expect(redisLocation({ database: 'x' }, {})).toBeUndefined();
  });
});
