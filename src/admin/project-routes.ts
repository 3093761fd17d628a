/** `/admin/v1/projects`: who owns keys, on which plan, with which prepaid credits. */
import { defineRoute } from './define-route.js';
import { findProject, referencedPlan } from './lookups.js';
import {
  creditsSchema,
  projectCreateSchema,
  projectListSchema,
  projectPatchSchema,
  projectSchema,
} from './schemas.js';

const tag = 'projects';

export const projectRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/v1/projects',
    operationId: 'listProjects',
    tag,
    summary: 'List projects, by name',
    status: 200,
    response: projectListSchema,
    handle: async ({ store }) => ({ projects: await store.listProjects() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/projects',
    operationId: 'createProject',
    tag,
    summary: 'Create a project on a plan',
    body: projectCreateSchema,
    status: 201,
    response: projectSchema,
    errors: [409],
    handle: async ({ store, body }) => {
      const plan = await referencedPlan(store, body.plan, 'plan');
      return store.createProject({
        name: body.name,
        planId: plan.id,
        ...(body.credits !== undefined && { credits: body.credits }),
      });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/projects/{idOrName}',
    operationId: 'getProject',
    tag,
    summary: 'Get a project',
    status: 200,
    response: projectSchema,
    errors: [404],
    handle: ({ store, param }) => findProject(store, param('idOrName')),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/admin/v1/projects/{idOrName}',
    operationId: 'updateProject',
    tag,
    summary: 'Rename a project or move it to another plan',
    body: projectPatchSchema,
    status: 200,
    response: projectSchema,
    errors: [404, 409],
    handle: async ({ store, body, param }) => {
      const project = await findProject(store, param('idOrName'));
      const plan = body.plan === undefined ? undefined : await referencedPlan(store, body.plan, 'plan');
      return store.updateProject(project.id, {
        ...(body.name !== undefined && { name: body.name }),
        ...(plan !== undefined && { planId: plan.id }),
      });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/projects/{idOrName}/credits',
    operationId: 'changeCredits',
    tag,
    summary: 'Add (or, negative, remove) prepaid credits',
    body: creditsSchema,
    status: 200,
    response: projectSchema,
    errors: [404],
    handle: async ({ store, body, param }) => {
      const project = await findProject(store, param('idOrName'));
      return store.topUpCredits(project.id, body.amount, body.reason ?? 'admin API');
    },
  }),
];
