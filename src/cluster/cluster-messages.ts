/** IPC messages between the cluster primary and its workers. */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { HistoryPoint, Snapshot, WorkerSample } from '../dashboard/snapshot.js';
import type { LeaseGrant } from '../ratelimit/lease-authority.js';
import type { RateRule } from '../ratelimit/limiter.js';
import type { ProbeReport } from '../upstream/health.js';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/**
 * What a worker learned about an upstream (the prober's heads and chain ids, any worker's
 * up/down change); the primary relays it to the others and replays the down states to a new
 * worker.
 */
export interface ProbeReportMessage {
  type: 'turnpike:probe-report';
  network: string;
  upstream: string;
  report: ProbeReport;
}

/** A worker asks the primary's rate-limit authority for tokens (no Redis: one limit for all). */
export interface LeaseRequestMessage {
  type: 'turnpike:lease:request';
  requestId: number;
  key: string;
  rule: RateRule;
  want: number;
  min: number;
}

export type PrimaryMessage =
  | ProbeReportMessage
  | { type: 'turnpike:lease:grant'; requestId: number; grant: LeaseGrant }
  | { type: 'turnpike:shutdown' }
  | { type: 'turnpike:metrics:collect'; requestId: number }
  | { type: 'turnpike:metrics:text'; requestId: number; contentType: string; body: string }
  /** Transfers were stored: the engine worker wakes its idle key workers. */
  | { type: 'turnpike:relayer:poke' }
  /** The dashboard sampler asks for this second's counters (cluster/dashboard-primary.ts). */
  | { type: 'turnpike:dashboard:sample-request'; requestId: number }
  | {
      type: 'turnpike:dashboard:history';
      requestId: number;
      points: readonly HistoryPoint[];
      latest: Snapshot | undefined;
    }
  /** A new snapshot, as JSON text, to each worker that has dashboard streams open. */
  | { type: 'turnpike:dashboard:snapshot'; json: string };

export type WorkerMessage =
  | ProbeReportMessage
  | LeaseRequestMessage
  /** `url` is empty from the relayer engine worker, which serves no HTTP. */
  | { type: 'turnpike:ready'; url: string; port: number }
  /** An HTTP worker stored transfers (engineProcess `own`). */
  | { type: 'turnpike:relayer:stored' }
  | { type: 'turnpike:metrics:request'; requestId: number }
  | { type: 'turnpike:metrics:data'; requestId: number; metrics: MetricsJson }
  | { type: 'turnpike:dashboard:sample'; requestId: number; sample: WorkerSample }
  | { type: 'turnpike:dashboard:history-request'; requestId: number }
  /** Whether this worker has dashboard streams open (and wants each snapshot). */
  | { type: 'turnpike:dashboard:watch'; watching: boolean };

export const WORKER_CONFIG_ENV = 'TURNPIKE_WORKER_CONFIG';
export const WORKER_INDEX_ENV = 'TURNPIKE_WORKER_INDEX';
/** The secret every worker signs dashboard sessions with (hex), so any worker accepts them. */
export const DASHBOARD_SECRET_ENV = 'TURNPIKE_DASHBOARD_SECRET';
/** Set to `relayer` on the worker that runs only the relayer engine (engineProcess `own`). */
export const WORKER_ROLE_ENV = 'TURNPIKE_WORKER_ROLE';
export const RELAYER_ENGINE_ROLE = 'relayer';

/** Whether `turnpike start` runs the relayer engine in a worker of its own. */
export function ownsEngineWorker(config: {
  relayer: { enabled: boolean; engine: boolean; engineProcess: 'own' | 'shared' };
}): boolean {
  const { relayer } = config;
  return relayer.enabled && relayer.engine && relayer.engineProcess === 'own';
}

export function isMessage<T extends { type: string }>(value: unknown, type: T['type']): value is T {
  return value !== null && typeof value === 'object' && (value as { type?: unknown }).type === type;
}
