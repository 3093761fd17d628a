/**
 * The OpenAPI 3.1 document of the admin API: its route table and the same zod schemas that
 * validate requests, through the shared builder (http/openapi-document.ts).
 */
import { buildOpenApiDocument, type DocumentedRoute } from '../http/openapi-document.js';
import { type AdminRoute, NO_BODY, NO_QUERY, type SuccessStatus } from './define-route.js';
import { adminSchemas, errorSchema } from './schemas.js';

/** The error answers, as reusable responses; 400, 401 and 500 can come from any route. */
const ERROR_RESPONSES = {
  400: ['Invalid', 'ERR_ADMIN_INVALID: the body or query is invalid (`issues`: the first 20 problems).'],
  401: ['Unauthorized', 'ERR_ADMIN_UNAUTHORIZED: missing or wrong admin token.'],
  404: ['NotFound', 'ERR_ADMIN_NOT_FOUND: no such plan, project or key.'],
  409: ['Conflict', 'ERR_ADMIN_CONFLICT: a duplicate name, a plan still in use, a key already revoked.'],
  500: ['Internal', 'ERR_INTERNAL: a bug in the gateway; it is logged.'],
} as const;

const SUCCESS_DESCRIPTIONS: Record<SuccessStatus, string> = { 200: 'OK', 201: 'Created', 204: 'Deleted' };

const PATH_PARAMETERS: Record<string, string> = {
  idOrName: 'The id, or else the name.',
  id: 'The key id (key names are not unique).',
};

export function buildAdminOpenApiDocument(routes: readonly AdminRoute[]): Record<string, unknown> {
  return buildOpenApiDocument(routes.map(documented), {
    info: {
      title: 'Turnpike admin API',
      version: '1',
      description:
        'Plans, projects, API keys, credits and usage of a Turnpike gateway. Every call needs ' +
        '`Authorization: Bearer <admin token>`. A key secret appears only in the answer that creates it.',
    },
    schemas: adminSchemas,
    errorSchema,
    errorResponses: ERROR_RESPONSES,
    successDescriptions: SUCCESS_DESCRIPTIONS,
    pathParameters: PATH_PARAMETERS,
    securityScheme: {
      name: 'adminToken',
      scheme: {
        type: 'http',
        scheme: 'bearer',
        description: '`tenancy.adminToken` or the TURNPIKE_ADMIN_TOKEN environment variable.',
      },
    },
  });
}

function documented(route: AdminRoute): DocumentedRoute {
  return {
    method: route.method,
    path: route.path,
    operationId: route.operationId,
    tag: route.tag,
    summary: route.summary,
    body: route.body === NO_BODY ? undefined : route.body,
    query: route.query === NO_QUERY ? undefined : route.query,
    status: route.status,
    response: route.response,
    errors: [400, 401, ...route.errors, 500],
  };
}
