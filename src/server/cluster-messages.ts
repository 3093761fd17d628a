/** IPC messages between the cluster primary and its workers. */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { LeaseGrant } from '../ratelimit/lease-authority.js';
import type { RateRule } from '../ratelimit/limiter.js';
import type { ProbeReport } from '../upstream/health.js';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What the probing worker learned about an upstream; the primary relays it to the others. */
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
  | { type: 'turnpike:metrics:text'; requestId: number; contentType: string; body: string };

export type WorkerMessage =
  | ProbeReportMessage
  | LeaseRequestMessage
  | { type: 'turnpike:ready'; url: string; port: number }
  | { type: 'turnpike:metrics:request'; requestId: number }
  | { type: 'turnpike:metrics:data'; requestId: number; metrics: MetricsJson };

export const WORKER_CONFIG_ENV = 'TURNPIKE_WORKER_CONFIG';
export const WORKER_INDEX_ENV = 'TURNPIKE_WORKER_INDEX';

export function isMessage<T extends { type: string }>(value: unknown, type: T['type']): value is T {
  return value !== null && typeof value === 'object' && (value as { type?: unknown }).type === type;
}
