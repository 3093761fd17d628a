/**
 * The OpenAPI 3.1 document of the relayer API, from its route table and zod schemas through
 * the shared builder (http/openapi-document.ts), served at `GET /v1/openapi.json`. Requests are
 * described by the schemas the intake validates with, built from the running config, so the
 * document states this deployment's tokens and limits.
 */
import { z } from 'zod';
import { buildOpenApiDocument } from '../../http/openapi-document.js';
import { RELAYER_ANSWER_SCHEMAS, relayerErrorSchema } from './relayer-answer-schemas.js';
import type { RelayerRequestSchemas } from './relayer-request-schemas.js';
import type { RelayerRoute } from './relayer-routes.js';

const ERROR_RESPONSES = {
  400: [
    'Invalid',
    'ERR_RELAYER_INVALID: a field, query or idempotency key is invalid (`issues`: the first 20).',
  ],
  401: [
    'Unauthorized',
    'ERR_AUTH_MISSING_KEY or ERR_AUTH_INVALID_KEY: tenancy is on and the key is missing or not valid.',
  ],
  402: [
    'PaymentRequired',
    'ERR_CREDITS_EXHAUSTED or ERR_QUOTA_EXCEEDED: the project cannot pay for every transfer.',
  ],
  403: [
    'Forbidden',
    "ERR_NETWORK_NOT_ALLOWED or ERR_METHOD_NOT_ALLOWED: the key's plan refuses the relayer.",
  ],
  404: [
    'NotFound',
    'ERR_RELAYER_NOT_FOUND: no such transfer, job or transaction for this project (ERR_ROUTE_NOT_FOUND: `/send-ft` without `relayer.defaultToken`).',
  ],
  409: ['Conflict', 'ERR_RELAYER_IDEMPOTENCY_CONFLICT: the idempotency key was used with another body.'],
  413: ['TooLarge', 'ERR_BODY_TOO_LARGE: the body is over `server.maxBodyBytes`.'],
  415: ['UnsupportedMediaType', 'ERR_UNSUPPORTED_MEDIA_TYPE: a Content-Type that is not JSON.'],
  422: [
    'TransferFailed',
    'ERR_RELAYER_TRANSFER_FAILED: with `wait`, a transfer of the request failed (`transfers`).',
  ],
  429: ['RateLimited', "ERR_RATE_LIMITED: the key's rate limit; Retry-After says when to retry."],
  500: ['Internal', 'ERR_INTERNAL: a bug in the gateway; it is logged.'],
  503: [
    'Unavailable',
    'ERR_RELAYER_QUEUE_FULL, ERR_RELAYER_WAIT_CAPACITY or ERR_RELAYER_UNAVAILABLE: nothing stored; retry with the same idempotency key.',
  ],
} as const;

const SUCCESS_DESCRIPTIONS: Record<number, string> = { 200: 'OK', 202: 'Accepted (stored)' };

const PATH_PARAMETERS: Record<string, string> = {
  id: 'A transfer id (`tr_…`).',
  jobId: 'A job id: the `requestId` of an accepted request (`rq_…`).',
  txHash: 'A transaction hash: 0x + 64 hex digits, any case.',
};

/** Built once per API at start (a schema it cannot describe fails the start, not a request). */
export function relayerOpenApiDocument(
  routes: readonly RelayerRoute[],
  requests: RelayerRequestSchemas,
): Record<string, unknown> {
  // A registry of this document's own: the request schemas differ with the config.
  const schemas = z.registry<{ id: string }>();
  schemas.add(requests.transferInput, { id: 'TransferInput' });
  schemas.add(requests.transferRequest, { id: 'TransferRequest' });
  schemas.add(requests.sendFtRequest, { id: 'SendFtRequest' });
  for (const [id, schema] of Object.entries(RELAYER_ANSWER_SCHEMAS)) schemas.add(schema, { id });
  return buildOpenApiDocument(routes, {
    info: {
      title: 'Turnpike relayer API',
      version: '1',
      description:
        'Token transfers executed exactly once by the relayer of a Turnpike gateway, and the routes ' +
        'of the NEAR token service. With tenancy on, every route but `/health` and this document ' +
        'needs an API key (`X-Api-Key` or `Authorization: Bearer`). See docs/relayer.md.',
    },
    schemas,
    errorSchema: relayerErrorSchema,
    errorResponses: ERROR_RESPONSES,
    successDescriptions: SUCCESS_DESCRIPTIONS,
    pathParameters: PATH_PARAMETERS,
    securityScheme: {
      name: 'apiKey',
      scheme: {
        type: 'apiKey',
        in: 'header',
        name: 'X-Api-Key',
        description: 'A project API key (or `Authorization: Bearer <key>`); only with tenancy on.',
      },
    },
  });
}
