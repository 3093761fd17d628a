/**
 * API key rows: issuing, rotating and revoking inside a caller's write transaction, and the
 * one joined query that turns a key hash into a grant (key + project + plan).
 */
import type { Kysely } from 'kysely';
import { GatewayError } from '../errors/gateway-error.js';
import type { Database } from '../store/tables.js';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key-secret.js';
import { newId } from './ids.js';
import type { ApiKey, IssuedKey } from './model.js';
import { GRANT_COLUMNS, keyFromRow, notFound } from './sql-rows.js';
import { recordChange } from './sql-write-transaction.js';

/** Every column of a key except its hash, which never leaves the store. */
export const KEY_COLUMNS = [
  'id',
  'project_id',
  'name',
  'prefix',
  'created_at',
  'expires_at',
  'revoked_at',
  'rotated_from',
] as const;

export async function issueKey(
  db: Kysely<Database>,
  key: { projectId: string; name: string; now: number; rotatedFrom?: string },
): Promise<IssuedKey> {
  const secret = generateApiKey();
  const row = await db
    .insertInto('api_keys')
    .values({
      id: newId('key'),
      project_id: key.projectId,
      name: key.name,
      prefix: displayPrefix(secret),
      hash: hashApiKey(secret),
      created_at: key.now,
      expires_at: null,
      revoked_at: null,
      rotated_from: key.rotatedFrom ?? null,
    })
    .returning(KEY_COLUMNS)
    .executeTakeFirstOrThrow();
  await recordChange(db, 'key', row.id, key.now);
  return { key: keyFromRow(row), secret };
}

/** A successor for the same project; the old key stops after the grace period (revoked if 0). */
export async function rotateKey(
  db: Kysely<Database>,
  id: string,
  graceSeconds: number,
  now: number,
): Promise<IssuedKey> {
  const old = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', id).executeTakeFirst();
  if (old === undefined) throw notFound('key', id);
  if (old.revoked_at !== null || (old.expires_at !== null && old.expires_at <= now))
    throw new GatewayError('ERR_ADMIN_CONFLICT', `key ${id} is revoked or expired; create a new key instead`);
  const stopsAt = now + Math.round(graceSeconds * 1000);
  await db
    .updateTable('api_keys')
    .set({
      // A rotation never lengthens a key's life.
      expires_at: old.expires_at === null ? stopsAt : Math.min(old.expires_at, stopsAt),
      ...(graceSeconds === 0 ? { revoked_at: now } : {}),
    })
    .where('id', '=', id)
    .execute();
  await recordChange(db, 'key', id, now);
  return issueKey(db, { projectId: old.project_id, name: old.name, now, rotatedFrom: id });
}

export async function revokeKey(db: Kysely<Database>, id: string, now: number): Promise<ApiKey> {
  const key = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', id).executeTakeFirst();
  if (key === undefined) throw notFound('key', id);
  // Revoking again changes nothing: the first revocation time stands.
  if (key.revoked_at !== null) return keyFromRow(key);
  const revoked = await db
    .updateTable('api_keys')
    .set({ revoked_at: now, expires_at: key.expires_at === null ? now : Math.min(key.expires_at, now) })
    .where('id', '=', id)
    .returning(KEY_COLUMNS)
    .executeTakeFirstOrThrow();
  await recordChange(db, 'key', id, now);
  return keyFromRow(revoked);
}

/** Key, project and plan of keys live at `now`, in one joined query; callers add the hash filter. */
export function grantQuery(db: Kysely<Database>, now: number) {
  return db
    .selectFrom('api_keys')
    .innerJoin('projects', 'projects.id', 'api_keys.project_id')
    .innerJoin('plans', 'plans.id', 'projects.plan_id')
    .select(GRANT_COLUMNS)
    .where('api_keys.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('api_keys.expires_at', 'is', null), eb('api_keys.expires_at', '>', now)]));
}
