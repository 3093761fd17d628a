/**
 * Table shapes of the one database, for Kysely. Times are Unix milliseconds (`bigint` in
 * PostgreSQL, read back as numbers); lists and maps are JSON text so both dialects store them
 * alike. Columns here and in migrations.ts change together.
 */
import type { ColumnType, Generated } from 'kysely';

export interface PlansTable {
  id: string;
  name: string;
  /** GCRA rate per key; null = no rate limit. */
  rate_per_second: number | null;
  rate_burst: number | null;
  /** 1 = the rate limit applies to each method of a key separately, not to the key as a whole. */
  rate_per_method: number;
  monthly_quota: number | null;
  /** 'requests' | 'compute_units' */
  quota_unit: string;
  /** JSON object method → compute units, over the built-in defaults. */
  compute_units: string;
  /** JSON array of network names; null = every network. */
  allowed_networks: string | null;
  /** JSON array of method names; null = every method. */
  allowed_methods: string | null;
  /** JSON array of method names always refused. */
  denied_methods: string;
  created_at: number;
  updated_at: number;
}

export interface ProjectsTable {
  id: string;
  name: string;
  plan_id: string;
  /** Prepaid compute units left; null = no prepaid limit. */
  credits: number | null;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  name: string;
  /** Shown to people to tell keys apart (`tp_3Fq9…`); never enough to use the key. */
  prefix: string;
  /** Hex SHA-256 of the whole key; the key itself is never stored. */
  hash: string;
  created_at: number;
  /** The key stops working at this time (set by revoke, or by rotate after a grace period). */
  expires_at: number | null;
  revoked_at: number | null;
  /** The key this one replaced (rotate). */
  rotated_from: string | null;
}

export interface CreditEntriesTable {
  id: Generated<number>;
  project_id: string;
  /** Positive for a top-up, negative for a correction; usage is debited without a row here. */
  amount: number;
  reason: string;
  created_at: number;
}

export interface UsageDailyTable {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  project_id: string;
  key_id: string;
  network: string;
  method: string;
  /** `ok`, `rpc_error`, or the Turnpike error code. */
  outcome: string;
  requests: number;
  compute_units: number;
  bytes: number;
}

/** Append-only: every admin change adds a row; processes poll `max(id)` to refresh caches. */
export interface TenancyChangesTable {
  id: Generated<number>;
  /** 'key' | 'plan' | 'project' */
  kind: string;
  subject: string;
  created_at: number;
}

/** One accepted relayer request (an idempotency key and the hash of its body). */
export interface RelayerRequestsTable {
  id: string;
  project_id: string | null;
  /** project_id, or '' for keyless requests: a unique index treats NULLs as all different. */
  scope: string;
  idempotency_key: string;
  request_hash: string;
  transfer_count: number;
  created_at: number;
}

export interface RelayerTransfersTable {
  /** Insertion order: claims take the lowest first (FIFO). */
  seq: Generated<number>;
  id: string;
  request_id: string;
  /** Index of the transfer in its request. */
  position: number;
  project_id: string | null;
  token: string;
  to_address: string;
  /** Base units, decimal text (beyond 2^53). */
  amount: string;
  memo: string | null;
  /** TransferState */
  state: string;
  error: string | null;
  batch_id: string | null;
  tx_hash: string | null;
  block_number: number | null;
  created_at: number;
  updated_at: number;
  /** The code of `error` alone (migration 0007): relayer/transfer-failure.ts. */
  error_code: ColumnType<string | null, string | null | undefined, string | null>;
  /** When a key found it beyond all it can pay (migration 0006); null once claimed. */
  unfunded_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface RelayerBatchesTable {
  id: string;
  key_address: string;
  token: string;
  /** BatchState */
  state: string;
  size: number;
  /** The newest attempt's hash while signed or submitted (migration 0008). */
  tx_hash: string | null;
  created_at: number;
  updated_at: number;
}

export interface RelayerAttemptsTable {
  id: string;
  key_address: string;
  nonce: number;
  /** AttemptKind */
  kind: string;
  batch_id: string | null;
  raw: string;
  hash: string;
  /** Wei, decimal text. */
  max_fee: string;
  max_priority_fee: string;
  /** AttemptState */
  state: string;
  created_at: number;
  submitted_at: number | null;
}

/** Signing keys and their leases: every write made for a key checks fencing_token. */
export interface RelayerKeysTable {
  address: string;
  owner: string | null;
  /** 0 when free. */
  lease_expires_at: number;
  fencing_token: number;
  /** Null until the reconciler first read the chain. */
  next_nonce: number | null;
}

/** The webhook outbox, filled in the transaction that makes a transfer terminal. */
export interface RelayerWebhooksTable {
  id: string;
  transfer_id: string;
  payload: string;
  attempts: number;
  next_at: number;
  /** 'pending' | 'delivered' | 'abandoned' */
  state: string;
  delivered_at: number | null;
}

export interface Database {
  plans: PlansTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  credit_entries: CreditEntriesTable;
  usage_daily: UsageDailyTable;
  tenancy_changes: TenancyChangesTable;
  relayer_requests: RelayerRequestsTable;
  relayer_transfers: RelayerTransfersTable;
  relayer_batches: RelayerBatchesTable;
  relayer_attempts: RelayerAttemptsTable;
  relayer_keys: RelayerKeysTable;
  relayer_webhooks: RelayerWebhooksTable;
}
