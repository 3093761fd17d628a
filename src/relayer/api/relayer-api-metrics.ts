/**
 * Intake metrics: transfers stored, how long a POST waited for its commit, commits by result,
 * and requests refused by error code. Names live in metrics/names.ts.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { METRIC } from '../../metrics/names.js';

const ACCEPT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface RelayerApiMetrics {
  accepted(transfers: number): void;
  /** Seconds from the request's first byte to its answer, for requests that reached a commit. */
  acceptDuration(seconds: number): void;
  commit(ok: boolean): void;
  refused(code: string): void;
}

const NONE: RelayerApiMetrics = {
  accepted() {},
  acceptDuration() {},
  commit() {},
  refused() {},
};

export function relayerApiMetrics(registry: Registry | undefined): RelayerApiMetrics {
  if (registry === undefined) return NONE;
  const accepted = new Counter({
    name: METRIC.relayerAccepted,
    help: 'Transfers stored by the relayer API (new ones; idempotent replays are not counted).',
    registers: [registry],
  });
  const duration = new Histogram({
    name: METRIC.relayerAcceptDuration,
    help: 'Time from a transfer request arriving to its answer after the commit, seconds.',
    buckets: ACCEPT_BUCKETS,
    registers: [registry],
  });
  const commits = new Counter({
    name: METRIC.relayerIntakeCommits,
    help: 'Intake commits (one database transaction each, carrying many requests) by result.',
    labelNames: ['result'],
    registers: [registry],
  });
  const refused = new Counter({
    name: METRIC.relayerRefused,
    help: 'Relayer API requests answered with an error, by error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  return {
    accepted: (transfers) => accepted.inc(transfers),
    acceptDuration: (seconds) => duration.observe(seconds),
    commit: (ok) => commits.labels(ok ? 'ok' : 'failed').inc(),
    refused: (code) => refused.labels(code).inc(),
  };
}
