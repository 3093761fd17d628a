/**
 * The cluster primary: forks one worker per core (plus, with relayer.engineProcess `own`, one
 * that runs only the relayer engine), replaces crashed workers (with backoff when they crash at
 * start), aggregates /metrics across workers, and on SIGTERM/SIGINT drains every worker before
 * exiting 0.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry } from 'prom-client';
import { resolveAdminToken } from '../admin/admin-auth.js';
import type { TurnpikeConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { LeaseAuthority } from '../ratelimit/lease-authority.js';
import {
  DASHBOARD_SECRET_ENV,
  isMessage,
  type LeaseRequestMessage,
  type MetricsJson,
  ownsEngineWorker,
  type PrimaryMessage,
  type ProbeReportMessage,
  RELAYER_ENGINE_ROLE,
  WORKER_CONFIG_ENV,
  WORKER_INDEX_ENV,
  WORKER_ROLE_ENV,
  type WorkerMessage,
} from './cluster-messages.js';
import { DashboardPrimary } from './dashboard-primary.js';

export interface ClusterOptions {
  config: TurnpikeConfig;
  workers: number;
  log: Logger;
  onReady: (url: string) => void;
  /** A worker died before every worker was ready (port in use, …); the others are stopped. */
  onFailed?: (error: Error) => void;
}

export interface ClusterHandle {
  /** Drains and stops every worker; resolves when all have exited. */
  shutdown(): Promise<void>;
}

const METRICS_TIMEOUT_MS = 3_000;

export function startCluster(options: ClusterOptions): ClusterHandle {
  const { config, workers, log } = options;
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./cluster-worker.js', import.meta.url)),
    args: [],
    silent: false,
  });
  const serialized = JSON.stringify(config);
  // The engine worker takes the slot after the HTTP workers.
  const engineSlot = ownsEngineWorker(config) ? workers : undefined;
  const total = workers + (engineSlot === undefined ? 0 : 1);
  const slots = new Map<Worker, number>();
  const readyWorkers = new Set<number>();
  let url: string | undefined;
  let announced = false;
  let stopping = false;
  let crashStreak = 0;
  let nextRequestId = 1;
  // Rate limits without Redis: the one GCRA every worker leases tokens from.
  let leases: LeaseAuthority | undefined;
  // Upstreams a worker reported down and nobody up since: a new worker is told at once.
  const downReports = new Map<string, ProbeReportMessage>();
  // The dashboard (on with an admin token): one sampler for the cluster, sessions any worker accepts.
  const dashboardSecret = randomBytes(32).toString('hex');
  const dashboard =
    resolveAdminToken(config) === undefined
      ? undefined
      : new DashboardPrimary(() =>
          [...slots].filter(([, index]) => readyWorkers.has(index)).map(([worker]) => worker),
        );
  dashboard?.start();

  const fork = (index: number) => {
    const startedAt = Date.now();
    const worker = cluster.fork({
      [WORKER_CONFIG_ENV]: serialized,
      [WORKER_INDEX_ENV]: String(index),
      [DASHBOARD_SECRET_ENV]: dashboardSecret,
      ...(index === engineSlot && { [WORKER_ROLE_ENV]: RELAYER_ENGINE_ROLE }),
    });
    slots.set(worker, index);
    worker.on('message', (message: unknown) => onWorkerMessage(worker, index, message));
    worker.once('exit', (code, signal) => {
      slots.delete(worker);
      dashboard?.forget(worker);
      readyWorkers.delete(index);
      if (stopping) return;
      if (!announced && options.onFailed !== undefined) {
        // Replacing it would fail the same way forever; fail the start instead.
        stopping = true;
        for (const other of slots.keys()) other.process.kill('SIGTERM');
        options.onFailed(
          new Error(`worker ${index} exited (${signal ?? `code ${code}`}) before the gateway was ready`),
        );
        return;
      }
      const crashedEarly = Date.now() - startedAt < 5_000;
      crashStreak = crashedEarly ? crashStreak + 1 : 0;
      const delay = crashedEarly ? Math.min(30_000, 250 * 2 ** Math.min(crashStreak, 7)) : 0;
      log.error({ worker: index, code, signal, restartInMs: delay }, `worker ${index} exited; replacing it`);
      setTimeout(() => {
        if (!stopping) fork(index);
      }, delay).unref();
    });
  };

  const onWorkerMessage = (worker: Worker, index: number, message: unknown) => {
    if (dashboard?.onMessage(worker, message)) return;
    if (isMessage<LeaseRequestMessage>(message, 'turnpike:lease:request')) {
      leases ??= new LeaseAuthority();
      const grant = leases.grant(message.key, message.rule, message.want, message.min);
      if (worker.isConnected())
        worker.send({
          type: 'turnpike:lease:grant',
          requestId: message.requestId,
          grant,
        } satisfies PrimaryMessage);
    } else if (isMessage<ProbeReportMessage>(message, 'turnpike:probe-report')) {
      const health = message.report.health;
      if (health !== undefined) {
        const key = `${message.network}\u0000${message.upstream}`;
        if (health.down) downReports.set(key, message);
        else downReports.delete(key);
      }
      for (const other of slots.keys()) if (other !== worker && other.isConnected()) other.send(message);
    } else if (isMessage<Extract<WorkerMessage, { type: 'turnpike:ready' }>>(message, 'turnpike:ready')) {
      // A replacement starts believing every upstream up; it may even be the new prober.
      for (const report of downReports.values()) if (worker.isConnected()) worker.send(report);
      readyWorkers.add(index);
      if (message.url !== '') url ??= message.url;
      if (!announced && readyWorkers.size === total && url !== undefined) {
        announced = true;
        options.onReady(url);
      }
    } else if (
      isMessage<Extract<WorkerMessage, { type: 'turnpike:relayer:stored' }>>(
        message,
        'turnpike:relayer:stored',
      )
    ) {
      for (const [other, slot] of slots)
        if (slot === engineSlot && other.isConnected())
          other.send({ type: 'turnpike:relayer:poke' } satisfies PrimaryMessage);
    } else if (
      isMessage<Extract<WorkerMessage, { type: 'turnpike:metrics:request' }>>(
        message,
        'turnpike:metrics:request',
      )
    ) {
      void aggregateMetrics().then((text) => {
        const reply: PrimaryMessage = {
          type: 'turnpike:metrics:text',
          requestId: message.requestId,
          ...text,
        };
        if (worker.isConnected()) worker.send(reply);
      });
    }
  };

  const aggregateMetrics = async (): Promise<{ contentType: string; body: string }> => {
    const live = [...slots.keys()].filter((worker) => worker.isConnected());
    const requestId = nextRequestId++;
    const replies = await Promise.all(live.map((worker) => collectFrom(worker, requestId)));
    const registry = AggregatorRegistry.aggregate(
      replies.filter((reply): reply is MetricsJson => reply !== undefined),
    );
    return { contentType: registry.contentType, body: await registry.metrics() };
  };

  for (let index = 0; index < total; index++) fork(index);

  return {
    shutdown: async () => {
      stopping = true;
      dashboard?.stop();
      const exits = [...slots.keys()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            const kill = setTimeout(
              () => worker.process.kill('SIGKILL'),
              config.server.shutdownGraceMs + 5_000,
            );
            kill.unref();
            if (worker.isConnected()) worker.send({ type: 'turnpike:shutdown' } satisfies PrimaryMessage);
            else worker.process.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
      await leases?.close();
    },
  };
}

function collectFrom(worker: Worker, requestId: number): Promise<MetricsJson | undefined> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (
        isMessage<Extract<WorkerMessage, { type: 'turnpike:metrics:data' }>>(
          message,
          'turnpike:metrics:data',
        ) &&
        message.requestId === requestId
      ) {
        done(message.metrics);
      }
    };
    const timer = setTimeout(() => done(undefined), METRICS_TIMEOUT_MS);
    const done = (metrics: MetricsJson | undefined) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(metrics);
    };
    worker.on('message', onMessage);
    worker.send({ type: 'turnpike:metrics:collect', requestId } satisfies PrimaryMessage);
  });
}
