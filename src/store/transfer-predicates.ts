/**
 * The predicates of the relayer's partial indexes (migration 0004). A query uses such an index
 * only when its WHERE names the same predicate as literals — SQLite does not look through bound
 * parameters — so the migration and the queries share these. Changing one needs a migration
 * that rebuilds its index.
 */
import { type RawBuilder, sql } from 'kysely';

/** Waiting to be batched: the queue `claimBatch` takes from. */
export const IS_QUEUED: RawBuilder<boolean> = sql<boolean>`state = 'accepted'`;

/** Not yet confirmed or failed: back-pressure and /metrics count these. */
export const IS_OPEN: RawBuilder<boolean> = sql<boolean>`state in ('accepted', 'batched', 'signed', 'submitted')`;
