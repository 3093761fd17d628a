/** `/admin/v1/plans`: what a project's keys may do (rate, quota, networks, methods). */
import { defineRoute } from './define-route.js';
import { findPlan } from './lookups.js';
import { planCreateSchema, planListSchema, planPatchSchema, planSchema } from './schemas.js';

const tag = 'plans';

export const planRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/v1/plans',
    operationId: 'listPlans',
    tag,
    summary: 'List plans, by name',
    status: 200,
    response: planListSchema,
    handle: async ({ store }) => ({ plans: await store.listPlans() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/plans',
    operationId: 'createPlan',
    tag,
    summary: 'Create a plan',
    body: planCreateSchema,
    status: 201,
    response: planSchema,
    errors: [409],
    handle: ({ store, body }) => store.createPlan(body),
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/plans/{idOrName}',
    operationId: 'getPlan',
    tag,
    summary: 'Get a plan',
    status: 200,
    response: planSchema,
    errors: [404],
    handle: ({ store, param }) => findPlan(store, param('idOrName')),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/admin/v1/plans/{idOrName}',
    operationId: 'updatePlan',
    tag,
    summary: 'Change a plan; keys on it follow at once',
    body: planPatchSchema,
    status: 200,
    response: planSchema,
    errors: [404, 409],
    handle: async ({ store, body, param }) => {
      const plan = await findPlan(store, param('idOrName'));
      return store.updatePlan(plan.id, body);
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/admin/v1/plans/{idOrName}',
    operationId: 'deletePlan',
    tag,
    summary: 'Delete a plan no project uses',
    status: 204,
    errors: [404, 409],
    handle: async ({ store, param }) => {
      const plan = await findPlan(store, param('idOrName'));
      await store.deletePlan(plan.id);
    },
  }),
];
