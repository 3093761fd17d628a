/**
 * The OpenAPI 3.1 document of the admin API, built from the route table and the same zod
 * schemas that validate requests (`z.toJSONSchema`), so the document and the server agree.
 */
import { z } from 'zod';
import { type AdminRoute, NO_BODY, type SuccessStatus } from './define-route.js';
import { adminSchemas, errorSchema } from './schemas.js';

type JsonObject = Record<string, unknown>;

const SCHEMAS = '#/components/schemas/';

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

export function buildOpenApiDocument(routes: readonly AdminRoute[]): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Turnpike admin API',
      version: '1',
      description:
        'Plans, projects, API keys, credits and usage of a Turnpike gateway. Every call needs ' +
        '`Authorization: Bearer <admin token>`. A key secret appears only in the answer that creates it.',
    },
    security: [{ adminToken: [] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: componentSchemas(),
      responses: Object.fromEntries(
        Object.values(ERROR_RESPONSES).map(([name, description]) => [
          name,
          { description, content: { 'application/json': { schema: ref(errorSchema) } } },
        ]),
      ),
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: '`tenancy.adminToken` or the TURNPIKE_ADMIN_TOKEN environment variable.',
        },
      },
    },
  };
}

function operation(route: AdminRoute): JsonObject {
  const parameters = [...pathParameters(route.path), ...queryParameters(route.query)];
  const success =
    route.response === undefined
      ? { description: SUCCESS_DESCRIPTIONS[route.status] }
      : {
          description: SUCCESS_DESCRIPTIONS[route.status],
          content: { 'application/json': { schema: ref(route.response) } },
        };
  const responses: JsonObject = { [route.status]: success };
  for (const status of [400, 401, ...route.errors, 500] as const)
    responses[status] = { $ref: `#/components/responses/${ERROR_RESPONSES[status][0]}` };
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(parameters.length > 0 && { parameters }),
    ...(route.body !== NO_BODY && {
      requestBody: {
        required: !route.body.safeParse(undefined).success,
        content: { 'application/json': { schema: ref(route.body) } },
      },
    }),
    responses,
  };
}

function pathParameters(path: string): JsonObject[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMETERS[name] ?? name,
    schema: { type: 'string' },
  }));
}

function queryParameters(query: z.ZodObject): JsonObject[] {
  return Object.entries(query.shape).map(([name, field]) => {
    const { $schema: _, description, ...schema } = z.toJSONSchema(field, { io: 'input' });
    return {
      name,
      in: 'query',
      // `optin` is zod's own record of whether a field may be left out of its object.
      required: field._zod.optin !== 'optional',
      ...(description !== undefined && { description }),
      schema,
    };
  });
}

/** Every named schema, with references between them pointing into the components. */
function componentSchemas(): JsonObject {
  const { schemas } = z.toJSONSchema(adminSchemas, { io: 'input', uri: (id) => `${SCHEMAS}${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _, $id: __, ...schema }]) => [id, schema]),
  );
}

function ref(schema: z.ZodType): JsonObject {
  const id = adminSchemas.get(schema)?.id;
  if (id === undefined) throw new Error('an admin route uses a schema not named in adminSchemas');
  return { $ref: `${SCHEMAS}${id}` };
}
