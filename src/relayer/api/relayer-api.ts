/**
 * The relayer's HTTP API: `POST /v1/transfers`, `GET /v1/transfers[/{id}]`, and the routes of
 * the NEAR token service teams migrate from: `POST /send-ft`, `GET /transfer/{jobId}`,
 * `GET /transfer/tx/{txHash}` and `GET /health`; and its OpenAPI document. The routes are one
 * table (relayer-routes.ts); the relayer module (relayer-module.ts) mounts this under the
 * relayer's paths (relayer-paths.ts) when the relayer is enabled. See docs/relayer.md#http-api.
 */
import type { Registry } from 'prom-client';
import type { TurnpikeConfig } from '../../config/schema.js';
import { GatewayError, toGatewayError } from '../../errors/gateway-error.js';
import { clientIp } from '../../http/client-ip.js';
import { preflightHeaders } from '../../http/cors.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../../http/exchange.js';
import { type ResponseContext, sendNoContent } from '../../http/respond.js';
import { RouteTable } from '../../http/route-table.js';
import type { Logger } from '../../logging/logger.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import type { RelayerStore } from '../relayer-store.js';
import { IntakeBuffer } from './intake-buffer.js';
import type { IntakeParts } from './post-transfers.js';
import { QueueDepth } from './queue-depth.js';
import { authenticateCaller, type RelayerCaller } from './relayer-access.js';
import { relayerApiMetrics } from './relayer-api-metrics.js';
import { sendRelayerError } from './relayer-io.js';
import { relayerOpenApiDocument } from './relayer-openapi.js';
import { relayerRequestSchemas } from './relayer-request-schemas.js';
import { type RelayerParts, relayerRoutes } from './relayer-routes.js';
import { transferRules } from './transfer-fields.js';
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

/** The caller of an open route (`/health`, the document): no key was asked for. */
const NOBODY: RelayerCaller = { projectId: null, access: undefined };

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

  // The table and its document take the schemas the intake validates with (rules, waitConfig).
  const requests = relayerRequestSchemas(parts.rules, parts.waitConfig);
  const routes = relayerRoutes(requests);
  const table = new RouteTable(routes, { headFromGet: true, undecodable: 'raw' });
  const routeParts: RelayerParts = {
    response,
    store,
    intake: parts,
    maxBodyBytes: config.server.maxBodyBytes,
    health,
    document: relayerOpenApiDocument(routes, requests),
  };

  return {
    async handle(req, res, headers, path) {
      headers['cache-control'] = 'no-store';
      const method = req.method;
      try {
        const match = table.match(method, path);
        if (match.kind === 'none')
          throw new GatewayError('ERR_ROUTE_NOT_FOUND', `no route for ${method} ${path}`);
        if (match.kind === 'wrong-method') {
          if (method === 'OPTIONS') {
            preflightHeaders(config.server.cors, req, headers);
            sendNoContent(response, res, headers);
            return;
          }
          headers.allow = `${match.allow.join(', ')}, OPTIONS`;
          throw new GatewayError(
            'ERR_HTTP_METHOD',
            `${method} is not allowed on ${path}; use ${headers.allow}`,
          );
        }
        const route = match.route;
        const caller =
          route.open === true
            ? NOBODY
            : await authenticateCaller(tenancy, network, req, clientIp(req, trustedProxies));
        await route.handler(routeParts, caller, req, res, headers, match.params);
      } catch (err) {
        const error = toGatewayError(err);
        metrics.refused(error.code);
        if (error.httpStatus >= 500 && !CAPACITY_CODES.has(error.code))
          log.error({ err, requestId: headers['x-request-id'], path }, 'relayer API request failed');
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

/** Refusals of a full process or queue: expected under load, so not logged as failures. */
const CAPACITY_CODES = new Set(['ERR_RELAYER_QUEUE_FULL', 'ERR_RELAYER_WAIT_CAPACITY']);
