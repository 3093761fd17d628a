/**
 * The relayer's HTTP API: `POST /v1/transfers`, `GET /v1/transfers[/{id}]`, and the routes of
 * the NEAR token service teams migrate from: `POST /send-ft`, `GET /transfer/{jobId}`,
 * `GET /transfer/tx/{txHash}` and `GET /health`. The router hands every request under those
 * paths here; `gateway.ts` builds it when the relayer is enabled and has a store. See
 * docs/relayer.md#http-api.
 */
import type { Registry } from 'prom-client';
import type { TurnpikeConfig } from '../../config/schema.js';
import { GatewayError, toGatewayError } from '../../errors/gateway-error.js';
import { clientIp } from '../../http/client-ip.js';
import { preflightHeaders } from '../../http/cors.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../../http/exchange.js';
import { type ResponseContext, sendNoContent } from '../../http/respond.js';
import type { Logger } from '../../logging/logger.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import type { RelayerStore } from '../relayer-store.js';
import { IntakeBuffer } from './intake-buffer.js';
import { type IntakeParts, type IntakeRoute, postTransfers } from './post-transfers.js';
import { QueueDepth } from './queue-depth.js';
import { authenticateCaller } from './relayer-access.js';
import { relayerApiMetrics } from './relayer-api-metrics.js';
import { readJson, sendJson, sendRelayerError } from './relayer-io.js';
import { transferRules } from './transfer-fields.js';
import { getJob, getTransaction, getTransfer, listTransfers } from './transfer-reads.js';
import { TransferWaits } from './transfer-waits.js';

export interface RelayerApiOptions {
  readonly config: TurnpikeConfig;
  readonly store: RelayerStore;
  /** The tenancy layer; keys are required when it is enabled. */
  readonly tenancy?: Tenancy | undefined;
  readonly log: Logger;
  /** Registers the relayer's intake metrics here. */
  readonly metrics?: { readonly registry: Registry } | undefined;
  /** Set while the gateway drains (answers then close their connection). */
  readonly draining?: () => boolean;
  /** Called after each commit that stored transfers (wakes the engine's idle key workers). */
  readonly onStored?: () => void;
  /** Whether `relayer.network` can take requests now (for `GET /health`). @default always */
  readonly ready?: () => boolean;
}

export interface RelayerApi {
  /** Serves one request under the relayer's paths; `path` has no query string. Always answers. */
  handle(req: HttpRequest, res: ResponseWriter, headers: ResponseHeaders, path: string): Promise<void>;
  /** Ends every `?wait=` now (each answers 202), so a shutdown does not wait on them. */
  endWaits(): void;
  /** Ends the waits, stores what is waiting for a commit and refuses new requests. */
  close(): Promise<void>;
}

type Route =
  | { readonly kind: 'post'; readonly intake: IntakeRoute }
  | { readonly kind: 'list' }
  | { readonly kind: 'transfer'; readonly id: string }
  | { readonly kind: 'job'; readonly id: string }
  | { readonly kind: 'tx'; readonly hash: string }
  | { readonly kind: 'health' };

export function createRelayerApi(options: RelayerApiOptions): RelayerApi {
  const { config, store, tenancy, log } = options;
  const relayer = config.relayer;
  const network = relayer.network ?? '';
  const metrics = relayerApiMetrics(options.metrics?.registry);
  const response: ResponseContext = { config: config.server, draining: options.draining ?? (() => false) };
  const trustedProxies = new Set(config.server.trustedProxies);
  const waits = new TransferWaits(store, {
    pollMs: relayer.wait.pollMs,
    maxWaiters: relayer.wait.maxWaiters,
    onReadError: (err) => log.warn({ err }, 'relayer wait: reading transfer states failed; retrying'),
  });
  const parts: IntakeParts = {
    rules: transferRules(relayer),
    defaultToken: relayer.defaultToken,
    buffer: new IntakeBuffer(store, {
      flushMs: relayer.acceptFlushMs,
      onCommit: (_requests, _ms, ok) => {
        metrics.commit(ok);
        if (ok) options.onStored?.();
      },
    }),
    queue: new QueueDepth(store, { max: relayer.maxQueueDepth }),
    metrics,
    waits,
    waitConfig: relayer.wait,
  };

  /** The NEAR token service's `GET /health`: open (no key), and no query beyond the queue estimate's. */
  async function health(): Promise<{ status: number; body: unknown }> {
    const ready = !response.draining() && (options.ready?.() ?? true);
    const open = await parts.queue.estimate().catch(() => null);
    const status =
      !ready || open === null ? 'unavailable' : open >= relayer.maxQueueDepth ? 'degraded' : 'ok';
    return {
      status: status === 'unavailable' ? 503 : 200,
      body: {
        status,
        timestamp: new Date().toISOString(),
        relayer: {
          network,
          ready,
          engine: relayer.engine,
          queue: { open, max: relayer.maxQueueDepth },
          waiting: waits.size,
        },
      },
    };
  }

  async function serve(route: Route, req: HttpRequest, res: ResponseWriter, headers: ResponseHeaders) {
    if (route.kind === 'health') {
      const answer = await health();
      sendJson(response, req, res, answer.status, answer.body, headers);
      return;
    }
    const caller = await authenticateCaller(tenancy, network, req, clientIp(req, trustedProxies));
    switch (route.kind) {
      case 'post': {
        const body = await readJson(req, config.server.maxBodyBytes);
        const onGone = res.onClientGone?.bind(res);
        const answer = await postTransfers(parts, route.intake, caller, req, body, onGone);
        Object.assign(headers, answer.headers);
        sendJson(response, req, res, answer.status, answer.body, headers);
        return;
      }
      case 'list':
        sendJson(response, req, res, 200, await listTransfers(store, caller, req.url), headers);
        return;
      case 'transfer':
        sendJson(response, req, res, 200, await getTransfer(store, caller, route.id), headers);
        return;
      case 'job':
        sendJson(response, req, res, 200, await getJob(store, caller, route.id), headers);
        return;
      case 'tx':
        sendJson(response, req, res, 200, await getTransaction(store, caller, route.hash), headers);
        return;
    }
  }

  return {
    async handle(req, res, headers, path) {
      headers['cache-control'] = 'no-store';
      const method = req.method;
      try {
        const match = matchRoute(method, path);
        if (method === 'OPTIONS') {
          preflightHeaders(config.server.cors, req, headers);
          sendNoContent(response, res, headers);
          return;
        }
        await serve(match, req, res, headers);
      } catch (err) {
        const error = toGatewayError(err);
        metrics.refused(error.code);
        if (error.httpStatus >= 500 && !CAPACITY_CODES.has(error.code))
          log.error({ err, requestId: headers['x-request-id'], path }, 'relayer API request failed');
        if (error.code === 'ERR_HTTP_METHOD') headers.allow = allowedMethods(path);
        sendRelayerError(response, req, res, error, headers);
      }
    },
    endWaits: () => waits.close(),
    close: () => {
      waits.close();
      return parts.buffer.close();
    },
  };
}

function matchRoute(method: string, path: string): Route {
  const allow = allowedMethods(path);
  if (allow === undefined) throw new GatewayError('ERR_ROUTE_NOT_FOUND', `no route for ${method} ${path}`);
  if (method !== 'OPTIONS' && !allow.split(', ').includes(method))
    throw new GatewayError('ERR_HTTP_METHOD', `${method} is not allowed on ${path}; use ${allow}`);
  if (path === '/v1/transfers') return method === 'POST' ? { kind: 'post', intake: 'v1' } : { kind: 'list' };
  if (path === '/send-ft') return { kind: 'post', intake: 'send-ft' };
  if (path === '/health') return { kind: 'health' };
  if (path.startsWith(TX_PREFIX)) return { kind: 'tx', hash: safeDecode(path.slice(TX_PREFIX.length)) };
  const id = safeDecode(path.slice(path.lastIndexOf('/') + 1));
  return path.startsWith('/transfer/') ? { kind: 'job', id } : { kind: 'transfer', id };
}

/** Refusals of a full process or queue: expected under load, so not logged as failures. */
const CAPACITY_CODES = new Set(['ERR_RELAYER_QUEUE_FULL', 'ERR_RELAYER_WAIT_CAPACITY']);
const TX_PREFIX = '/transfer/tx/';
const SINGLE = /^\/(?:v1\/transfers|transfer|transfer\/tx)\/[^/]+$/;

/** The methods of a path (GET implies HEAD), or undefined when no route has it. */
function allowedMethods(path: string): string | undefined {
  if (path === '/v1/transfers') return 'GET, HEAD, POST, OPTIONS';
  if (path === '/send-ft') return 'POST, OPTIONS';
  // Only GET and HEAD /health come here (relayer-paths.ts).
  if (path === '/health') return 'GET, HEAD';
  return SINGLE.test(path) ? 'GET, HEAD, OPTIONS' : undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // Not a valid escape, so not an id we ever handed out: the lookup answers 404.
    return segment;
  }
}
