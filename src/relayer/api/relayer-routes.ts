/**
 * Every route of the relayer API, in one table (http/route-table.ts) built once per API from the
 * request schemas of its config (relayer-request-schemas.ts): the API answers from it
 * (relayer-api.ts) and the OpenAPI document describes it (relayer-openapi.ts), so the document
 * cannot forget a route. Handlers are plain functions of the API's parts: no closure per request.
 */
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../../http/exchange.js';
import type { DocumentedRoute } from '../../http/openapi-document.js';
import type { ResponseContext } from '../../http/respond.js';
import type { Route, RouteMethod } from '../../http/route-table.js';
import type { RelayerStore } from '../relayer-store.js';
import { type IntakeParts, postTransfers } from './post-transfers.js';
import type { RelayerCaller } from './relayer-access.js';
import {
  acceptedSchema,
  healthSchema,
  jobSchema,
  relayerOpenApiSchema,
  sendFtAcceptedSchema,
  transactionSchema,
  transferListSchema,
  transferSchema,
} from './relayer-answer-schemas.js';
import { readJson, sendJson } from './relayer-io.js';
import type { RelayerRequestSchemas } from './relayer-request-schemas.js';
import { getJob, getTransaction, getTransfer, listTransfers } from './transfer-reads.js';

/** What a relayer handler works with; one per API, made at start. */
export interface RelayerParts {
  readonly response: ResponseContext;
  readonly store: RelayerStore;
  readonly intake: IntakeParts;
  readonly maxBodyBytes: number;
  /** The `GET /health` answer. */
  health(): Promise<{ status: number; body: unknown }>;
  /** The OpenAPI document of this table. */
  readonly document: Record<string, unknown>;
}

/** Answers one request; on an `open` route `caller` is nobody's (no key was asked for). */
export type RelayerHandler = (
  parts: RelayerParts,
  caller: RelayerCaller,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
  params: ReadonlyMap<string, string>,
) => Promise<void>;

export interface RelayerRoute extends Route<RelayerHandler>, DocumentedRoute {
  readonly method: Exclude<RouteMethod, '*'>;
}

const COMMON_ERRORS = [400, 401, 500];

/** The routes, taking what `requests` describe (the schemas the intake validates with). */
export function relayerRoutes(requests: RelayerRequestSchemas): readonly RelayerRoute[] {
  return [
    {
      method: 'GET',
      path: '/v1/transfers',
      operationId: 'listTransfers',
      tag: 'transfers',
      summary: 'A page of transfers, newest first',
      body: undefined,
      query: requests.listQuery,
      status: 200,
      response: transferListSchema,
      errors: COMMON_ERRORS,
      handler: async (parts, caller, req, res, headers) =>
        sendJson(parts.response, req, res, 200, await listTransfers(parts.store, caller, req.url), headers),
    },
    {
      method: 'POST',
      path: '/v1/transfers',
      operationId: 'createTransfers',
      tag: 'transfers',
      summary: 'Accept one transfer or a batch (202 once stored; with `wait`, 200 once on chain)',
      body: requests.transferRequest,
      query: requests.waitQuery,
      status: 202,
      response: acceptedSchema,
      errors: [400, 401, 402, 403, 409, 413, 415, 422, 429, 500, 503],
      handler: (parts, caller, req, res, headers) => intake(parts, 'v1', caller, req, res, headers),
    },
    {
      method: 'GET',
      path: '/v1/transfers/{id}',
      operationId: 'getTransfer',
      tag: 'transfers',
      summary: 'One transfer: status, transaction hash, block, error',
      body: undefined,
      query: undefined,
      status: 200,
      response: transferSchema,
      errors: [401, 404, 500],
      handler: async (parts, caller, req, res, headers, params) =>
        sendJson(
          parts.response,
          req,
          res,
          200,
          await getTransfer(parts.store, caller, param(params, 'id')),
          headers,
        ),
    },
    {
      method: 'POST',
      path: '/send-ft',
      operationId: 'sendFt',
      tag: 'near-compatible',
      summary: 'Accept transfers of `relayer.defaultToken` as one job (NEAR token service)',
      body: requests.sendFtRequest,
      query: requests.waitQuery,
      status: 202,
      response: sendFtAcceptedSchema,
      errors: [400, 401, 402, 403, 404, 409, 413, 415, 422, 429, 500, 503],
      handler: (parts, caller, req, res, headers) => intake(parts, 'send-ft', caller, req, res, headers),
    },
    {
      method: 'GET',
      path: '/transfer/{jobId}',
      operationId: 'getJob',
      tag: 'near-compatible',
      summary: 'A job (one accepted request) with its status and transfers',
      body: undefined,
      query: undefined,
      status: 200,
      response: jobSchema,
      errors: [401, 404, 500],
      handler: async (parts, caller, req, res, headers, params) =>
        sendJson(
          parts.response,
          req,
          res,
          200,
          await getJob(parts.store, caller, param(params, 'jobId')),
          headers,
        ),
    },
    {
      method: 'GET',
      path: '/transfer/tx/{txHash}',
      operationId: 'getTransaction',
      tag: 'near-compatible',
      summary: "The caller's transfers in one transaction",
      body: undefined,
      query: undefined,
      status: 200,
      response: transactionSchema,
      errors: [400, 401, 404, 500],
      handler: async (parts, caller, req, res, headers, params) => {
        const answer = await getTransaction(parts.store, caller, param(params, 'txHash'));
        sendJson(parts.response, req, res, 200, answer, headers);
      },
    },
    {
      method: 'GET',
      path: '/health',
      operationId: 'getHealth',
      tag: 'meta',
      summary: "The relayer's health (NEAR token service); no key needed",
      body: undefined,
      query: undefined,
      status: 200,
      response: healthSchema,
      errors: [503],
      open: true,
      handler: async (parts, _caller, req, res, headers) => {
        const answer = await parts.health();
        sendJson(parts.response, req, res, answer.status, answer.body, headers);
      },
    },
    {
      method: 'GET',
      path: '/v1/openapi.json',
      operationId: 'getOpenApiDocument',
      tag: 'meta',
      summary: 'This OpenAPI 3.1 document; no key needed',
      body: undefined,
      query: undefined,
      status: 200,
      response: relayerOpenApiSchema,
      errors: [],
      open: true,
      handler: async (parts, _caller, req, res, headers) =>
        sendJson(parts.response, req, res, 200, parts.document, headers),
    },
  ];
}

async function intake(
  parts: RelayerParts,
  route: 'v1' | 'send-ft',
  caller: RelayerCaller,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
): Promise<void> {
  const body = await readJson(req, parts.maxBodyBytes);
  const onGone = res.onClientGone?.bind(res);
  const answer = await postTransfers(parts.intake, route, caller, req, body, onGone);
  Object.assign(headers, answer.headers);
  sendJson(parts.response, req, res, answer.status, answer.body, headers);
}

/** The table's templates guarantee the parameter. */
function param(params: ReadonlyMap<string, string>, name: string): string {
  return params.get(name) ?? '';
}
