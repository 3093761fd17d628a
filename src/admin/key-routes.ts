/**
 * `/admin/v1/keys`: API keys. The secret exists only in the answer to a create or rotate; the
 * store keeps its hash, so no later read can show it.
 */
import { defineRoute } from './define-route.js';
import { findKey, referencedProject } from './lookups.js';
import {
  issuedKeySchema,
  keyCreateSchema,
  keyListQuerySchema,
  keyListSchema,
  keyRotateSchema,
  keySchema,
  rotatedKeySchema,
} from './schemas.js';

const tag = 'keys';

export const keyRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/v1/keys',
    operationId: 'listKeys',
    tag,
    summary: 'List keys (never their secrets), oldest first',
    query: keyListQuerySchema,
    status: 200,
    response: keyListSchema,
    handle: async ({ store, query }) => {
      const project =
        query.project === undefined ? undefined : await referencedProject(store, query.project, 'project');
      return { keys: await store.listKeys(project === undefined ? {} : { projectId: project.id }) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/keys',
    operationId: 'createKey',
    tag,
    summary: 'Issue a key; the secret is in this answer only',
    body: keyCreateSchema,
    status: 201,
    response: issuedKeySchema,
    handle: async ({ store, body }) => {
      const project = await referencedProject(store, body.project, 'project');
      return store.createKey({ projectId: project.id, ...(body.name !== undefined && { name: body.name }) });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/v1/keys/{id}',
    operationId: 'getKey',
    tag,
    summary: 'Get a key (never its secret)',
    status: 200,
    response: keySchema,
    errors: [404],
    handle: ({ store, param }) => findKey(store, param('id')),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/keys/{id}/rotate',
    operationId: 'rotateKey',
    tag,
    summary: 'Replace a key; the old one works for graceSeconds more',
    body: keyRotateSchema,
    status: 201,
    response: rotatedKeySchema,
    errors: [404, 409],
    handle: async ({ store, body, param }) => {
      const id = param('id');
      await findKey(store, id);
      const issued = await store.rotateKey(id, body?.graceSeconds ?? 0);
      return { ...issued, previous: await findKey(store, id) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/v1/keys/{id}/revoke',
    operationId: 'revokeKey',
    tag,
    summary: 'Stop a key now (revoking twice keeps the first time)',
    status: 200,
    response: keySchema,
    errors: [404],
    handle: ({ store, param }) => store.revokeKey(param('id')),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/admin/v1/keys/{id}',
    operationId: 'deleteKey',
    tag,
    summary: 'Same as revoke: the key row stays for usage history',
    status: 200,
    response: keySchema,
    errors: [404],
    handle: ({ store, param }) => store.revokeKey(param('id')),
  }),
];
