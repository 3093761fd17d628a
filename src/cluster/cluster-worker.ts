/**
 * Entry point of a cluster worker: one gateway, metrics answered through the primary. The
 * relayer engine worker (engineProcess `own`) starts the same gateway without listening and
 * runs the engine on every key; HTTP workers then only take transfers in, and ask the primary
 * to wake it after each commit.
 */
import { availableParallelism } from 'node:os';
import { redisLocation } from '../config/effective-settings.js';
import { resolveConfig } from '../config/load.js';
import { createGateway } from '../gateway.js';
import type { LeaseGrant } from '../ratelimit/lease-authority.js';
import { LeasedRateLimiter } from '../ratelimit/leased-limiter.js';
import { needsTenancy } from '../tenancy/open-tenancy.js';
import {
  DASHBOARD_SECRET_ENV,
  isMessage,
  ownsEngineWorker,
  type PrimaryMessage,
  type ProbeReportMessage,
  RELAYER_ENGINE_ROLE,
  WORKER_CONFIG_ENV,
  WORKER_INDEX_ENV,
  WORKER_ROLE_ENV,
  type WorkerMessage,
} from './cluster-messages.js';
import { ClusterFeed } from './dashboard-worker.js';

const send = (message: WorkerMessage) => process.send?.(message);
const pending = new Map<number, (text: { contentType: string; body: string }) => void>();
let nextRequestId = 1;
const METRICS_TIMEOUT_MS = 5_000;
const STORED_NOTICE_MS = 20;

const clusterConfig = resolveConfig(JSON.parse(process.env[WORKER_CONFIG_ENV] ?? '{}'));
const isEngineWorker = process.env[WORKER_ROLE_ENV] === RELAYER_ENGINE_ROLE;
const engineElsewhere = !isEngineWorker && ownsEngineWorker(clusterConfig);
const config = engineElsewhere
  ? { ...clusterConfig, relayer: { ...clusterConfig.relayer, engine: false } }
  : clusterConfig;
const workerLabel = isEngineWorker ? RELAYER_ENGINE_ROLE : (process.env[WORKER_INDEX_ENV] ?? '0');
const pendingGrants = new Map<number, (grant: LeaseGrant) => void>();
let nextGrantId = 1;
// Without Redis, rate limits are leased from the primary so all workers enforce one limit.
const rateLimiter =
  needsTenancy(config) && redisLocation(config.storage) === undefined
    ? new LeasedRateLimiter({
        failure: config.tenancy.rateLimitFailure,
        onFailure: () => {
          if (gateway.tenancy !== undefined) gateway.tenancy.rateLimitFailures++;
        },
        requestGrant: (key, rule, want, min) =>
          new Promise<LeaseGrant>((resolve) => {
            const requestId = nextGrantId++;
            pendingGrants.set(requestId, resolve);
            // The limiter gives up after its own timeout; forget an answer that never came.
            setTimeout(() => pendingGrants.delete(requestId), 10_000).unref();
            send({ type: 'turnpike:lease:request', requestId, key, rule, want, min });
          }),
      })
    : undefined;
const dashboardFeed = new ClusterFeed(send, workerLabel);
const dashboardSecret = process.env[DASHBOARD_SECRET_ENV];
const gateway = createGateway(config, {
  dashboardFeed,
  ...(dashboardSecret !== undefined && { dashboardSecret: Buffer.from(dashboardSecret, 'hex') }),
  ...(rateLimiter !== undefined && { rateLimiter }),
  // The primary has migrated the database before forking.
  migrate: false,
  workerLabel,
  relayerShare: isEngineWorker
    ? { index: 0, count: 1 }
    : {
        index: Number(workerLabel),
        count: config.server.workers > 0 ? config.server.workers : availableParallelism(),
      },
  ...(engineElsewhere && { onRelayerStored: storedNotice() }),
  // One worker probes idle upstreams for all (the first; a replacement takes its index); every
  // worker shares when an upstream goes down or comes back.
  probes: workerLabel === '0',
  onProbeReport: (network, upstream, report) =>
    send({ type: 'turnpike:probe-report', network, upstream, report }),
  metricsText: () =>
    new Promise((resolve, reject) => {
      const requestId = nextRequestId++;
      // The primary may be gone or busy: never leave a scrape hanging.
      const timer = setTimeout(() => {
        pending.delete(requestId);
        reject(new Error('the cluster primary did not answer the metrics request'));
      }, METRICS_TIMEOUT_MS);
      pending.set(requestId, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      send({ type: 'turnpike:metrics:request', requestId });
    }),
});

/**
 * Tells the primary (for the engine worker) that transfers were stored, at most once per
 * STORED_NOTICE_MS: at hundreds of commits a second one IPC message each cost this worker 5 % of
 * its time, and the engine waits relayer.batchFillMs (200 ms) for a partial batch anyway.
 */
function storedNotice(): () => void {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const now = performance.now();
    if (now - last < STORED_NOTICE_MS) return;
    last = now;
    send({ type: 'turnpike:relayer:stored' });
  };
}

let shuttingDown = false;
async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  await gateway.close();
  dashboardFeed.close();
  process.exit(0);
}

process.on('message', (message: unknown) => {
  if (isDashboardMessage(message))
    dashboardFeed.onMessage(message, gateway.metrics.registry, () => gateway.tenancy);
  else if (
    isMessage<Extract<PrimaryMessage, { type: 'turnpike:lease:grant' }>>(message, 'turnpike:lease:grant')
  ) {
    pendingGrants.get(message.requestId)?.(message.grant);
    pendingGrants.delete(message.requestId);
  } else if (isMessage<ProbeReportMessage>(message, 'turnpike:probe-report')) {
    gateway.networks.get(message.network)?.applyProbeReport(message.upstream, message.report);
  } else if (
    isMessage<Extract<PrimaryMessage, { type: 'turnpike:relayer:poke' }>>(message, 'turnpike:relayer:poke')
  ) {
    gateway.pokeRelayer();
  } else if (
    isMessage<Extract<PrimaryMessage, { type: 'turnpike:shutdown' }>>(message, 'turnpike:shutdown')
  ) {
    void shutdown();
  } else if (
    isMessage<Extract<PrimaryMessage, { type: 'turnpike:metrics:collect' }>>(
      message,
      'turnpike:metrics:collect',
    )
  ) {
    void gateway.metrics.registry.getMetricsAsJSON().then((metrics) => {
      send({ type: 'turnpike:metrics:data', requestId: message.requestId, metrics });
    });
  } else if (
    isMessage<Extract<PrimaryMessage, { type: 'turnpike:metrics:text' }>>(message, 'turnpike:metrics:text')
  ) {
    pending.get(message.requestId)?.({ contentType: message.contentType, body: message.body });
    pending.delete(message.requestId);
  }
});
function isDashboardMessage(
  message: unknown,
): message is Extract<PrimaryMessage, { type: `turnpike:dashboard:${string}` }> {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('turnpike:dashboard:');
}

// The primary coordinates shutdown; a terminal's Ctrl-C reaches the whole group, so ignore it here.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void shutdown());
// Orphaned (primary killed): drain and go.
process.on('disconnect', () => void shutdown());

if (isEngineWorker) {
  await gateway.start();
  send({ type: 'turnpike:ready', url: '', port: 0 });
} else {
  const { url, port } = await gateway.listen();
  send({ type: 'turnpike:ready', url, port });
}
