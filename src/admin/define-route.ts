/**
 * One admin route: method, path template, the schemas of what it takes and returns, and its
 * handler. The same table answers requests (admin-route.ts) and describes them (openapi.ts), so
 * the document cannot forget a route.
 */
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import type { Route } from '../http/route-table.js';
import { parseInput } from '../http/validation.js';
import type { TenancyStore } from '../tenancy/model.js';

export type AdminMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type SuccessStatus = 200 | 201 | 204;
/** Errors a route can answer besides those every route can (400, 401, 500). */
export type RouteError = 404 | 409;

/** What a request brings, before validation. */
export interface RouteInput {
  readonly store: TenancyStore;
  /** Decoded path parameters (`{idOrName}` → `idOrName`). */
  readonly params: ReadonlyMap<string, string>;
  /** The parsed JSON body; undefined when the request has none. */
  readonly body: unknown;
  readonly query: Readonly<Record<string, string>>;
}

/** What a handler gets: validated body and query. */
export interface RouteCall<Body, Query> {
  readonly store: TenancyStore;
  readonly body: Body;
  readonly query: Query;
  /** A path parameter of the route's template. */
  param(name: string): string;
}

/** The handler validates the input (ERR_ADMIN_INVALID), runs, and resolves to the response body. */
export type AdminHandler = (input: RouteInput) => Promise<unknown>;

export interface AdminRoute extends Route<AdminHandler> {
  readonly method: AdminMethod;
  /** OpenAPI path template, e.g. `/admin/v1/plans/{idOrName}`. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly body: z.ZodType;
  readonly query: z.ZodObject;
  readonly status: SuccessStatus;
  /** Undefined for 204. */
  readonly response: z.ZodType | undefined;
  readonly errors: readonly RouteError[];
}

/** Routes without a body refuse one, so a misdirected request does not pass for a success. */
export const NO_BODY = z.undefined({ error: 'this route takes no request body' });
export const NO_QUERY = z.strictObject({});

interface RouteSpec<B extends z.ZodType, Q extends z.ZodObject> {
  readonly method: AdminMethod;
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly body?: B;
  readonly query?: Q;
  readonly status: SuccessStatus;
  readonly response?: z.ZodType;
  readonly errors?: readonly RouteError[];
  handle(call: RouteCall<z.output<B>, z.output<Q>>): Promise<unknown>;
}

export function defineRoute<B extends z.ZodType = typeof NO_BODY, Q extends z.ZodObject = typeof NO_QUERY>(
  spec: RouteSpec<B, Q>,
): AdminRoute {
  // An absent schema leaves its type parameter at the default, which is the schema used here.
  const body = (spec.body ?? NO_BODY) as B;
  const query = (spec.query ?? NO_QUERY) as Q;
  return {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    tag: spec.tag,
    summary: spec.summary,
    body,
    query,
    status: spec.status,
    response: spec.response,
    errors: spec.errors ?? [],
    async handler(input) {
      const call: RouteCall<z.output<B>, z.output<Q>> = {
        store: input.store,
        body: parseInput(body, input.body),
        query: parseInput(query, input.query),
        param(name) {
          const value = input.params.get(name);
          if (value === undefined)
            throw new GatewayError('ERR_INTERNAL', `route ${spec.path} has no {${name}}`);
          return value;
        },
      };
      return spec.handle(call);
    },
  };
}
