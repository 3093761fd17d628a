/** `/admin/v1/usage`: metered requests, compute units and bytes, grouped as asked. */
import { defineRoute } from './define-route.js';
import { referencedKey, referencedProject } from './lookups.js';
import { usageQuerySchema, usageSchema } from './schemas.js';

export const usageRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/v1/usage',
    operationId: 'queryUsage',
    tag: 'usage',
    summary: 'Usage totals (flushed every tenancy.usageFlushMs)',
    query: usageQuerySchema,
    status: 200,
    response: usageSchema,
    handle: async ({ store, query }) => {
      const project =
        query.project === undefined ? undefined : await referencedProject(store, query.project, 'project');
      if (query.key !== undefined) await referencedKey(store, query.key, 'key');
      const rows = await store.queryUsage({
        groupBy: query.groupBy ?? [],
        ...(project !== undefined && { projectId: project.id }),
        ...(query.key !== undefined && { keyId: query.key }),
        ...(query.from !== undefined && { from: query.from }),
        ...(query.to !== undefined && { to: query.to }),
      });
      return { rows };
    },
  }),
];
