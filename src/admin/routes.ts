/** Every route of the admin API, in one table: the server and the OpenAPI document read it. */
import type { AdminRoute } from './define-route.js';
import { defineRoute } from './define-route.js';
import { keyRoutes } from './key-routes.js';
import { buildAdminOpenApiDocument } from './openapi.js';
import { planRoutes } from './plan-routes.js';
import { projectRoutes } from './project-routes.js';
import { openApiSchema } from './schemas.js';
import { usageRoutes } from './usage-routes.js';

let document: Record<string, unknown> | undefined;

/** Built on first use, then kept: the routes never change while the process runs. */
export function openApiDocument(): Record<string, unknown> {
  document ??= buildAdminOpenApiDocument(ADMIN_ROUTES);
  return document;
}

const documentRoute = defineRoute({
  method: 'GET',
  path: '/admin/v1/openapi.json',
  operationId: 'getOpenApiDocument',
  tag: 'meta',
  summary: 'This OpenAPI 3.1 document',
  status: 200,
  response: openApiSchema,
  handle: async () => openApiDocument(),
});

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  ...planRoutes,
  ...projectRoutes,
  ...keyRoutes,
  ...usageRoutes,
  documentRoute,
];
