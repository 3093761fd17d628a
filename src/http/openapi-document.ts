/**
 * An OpenAPI 3.1 document built from a route table and the zod schemas of its routes
 * (`z.toJSONSchema`), so a document cannot forget a route or disagree with what is validated.
 * The admin and relayer APIs each describe their routes with it.
 */
import { z } from 'zod';

type JsonObject = Record<string, unknown>;

/** What the document needs of a route. */
export interface DocumentedRoute {
  readonly method: string;
  /** OpenAPI path template, e.g. `/v1/transfers/{id}`. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  /** Undefined when the route takes no body. */
  readonly body: z.ZodType | undefined;
  readonly query: z.ZodObject | undefined;
  readonly status: number;
  /** Undefined for an answer without a body (204). */
  readonly response: z.ZodType | undefined;
  /** Error statuses the route can answer, in the order listed; each is in `errorResponses`. */
  readonly errors: readonly number[];
  /** Needs no credentials (`security: []`). @default false */
  readonly open?: boolean;
}

export interface OpenApiOptions {
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  /** Every schema the routes use, each with its component name. */
  readonly schemas: z.core.$ZodRegistry<{ id: string }>;
  readonly errorSchema: z.ZodType;
  /** Status → [component name, description] of the reusable error answers. */
  readonly errorResponses: Readonly<Record<number, readonly [string, string]>>;
  readonly successDescriptions: Readonly<Record<number, string>>;
  /** Descriptions of path parameters by name (default: the name). */
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly securityScheme: { readonly name: string; readonly scheme: JsonObject };
}

const SCHEMAS = '#/components/schemas/';

export function buildOpenApiDocument(
  routes: readonly DocumentedRoute[],
  options: OpenApiOptions,
): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route, options) };
  }
  const security = options.securityScheme.name;
  return {
    openapi: '3.1.0',
    info: options.info,
    security: [{ [security]: [] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: componentSchemas(options.schemas),
      responses: Object.fromEntries(
        Object.values(options.errorResponses).map(([name, description]) => [
          name,
          { description, content: { 'application/json': { schema: ref(options, options.errorSchema) } } },
        ]),
      ),
      securitySchemes: { [security]: options.securityScheme.scheme },
    },
  };
}

function operation(route: DocumentedRoute, options: OpenApiOptions): JsonObject {
  const parameters = [
    ...pathParameters(route.path, options),
    ...(route.query === undefined ? [] : queryParameters(route.query)),
  ];
  const description = options.successDescriptions[route.status] ?? String(route.status);
  const success =
    route.response === undefined
      ? { description }
      : { description, content: { 'application/json': { schema: ref(options, route.response) } } };
  const responses: JsonObject = { [route.status]: success };
  for (const status of route.errors) {
    const name = options.errorResponses[status]?.[0];
    if (name === undefined) throw new Error(`${route.operationId}: no error response for ${status}`);
    responses[status] = { $ref: `#/components/responses/${name}` };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(parameters.length > 0 && { parameters }),
    ...(route.body !== undefined && {
      requestBody: {
        required: !route.body.safeParse(undefined).success,
        content: { 'application/json': { schema: ref(options, route.body) } },
      },
    }),
    responses,
    ...(route.open === true && { security: [] }),
  };
}

function pathParameters(path: string, options: OpenApiOptions): JsonObject[] {
  const parameters: JsonObject[] = [];
  for (const segment of path.split('/')) {
    if (!segment.startsWith('{') || !segment.endsWith('}')) continue;
    const name = segment.slice(1, -1);
    parameters.push({
      name,
      in: 'path',
      required: true,
      description: options.pathParameters[name] ?? name,
      schema: { type: 'string' },
    });
  }
  return parameters;
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
function componentSchemas(registry: OpenApiOptions['schemas']): JsonObject {
  const { schemas } = z.toJSONSchema(registry, { io: 'input', uri: (id) => `${SCHEMAS}${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _, $id: __, ...schema }]) => [id, schema]),
  );
}

function ref(options: OpenApiOptions, schema: z.ZodType): JsonObject {
  const id = options.schemas.get(schema)?.id;
  if (id === undefined) throw new Error(`a route of "${options.info.title}" uses an unnamed schema`);
  return { $ref: `${SCHEMAS}${id}` };
}
