/**
 * The one way routes are declared: method, path template, handler. A template's segments are
 * literal or `{param}` (one non-empty segment, percent-decoded); a template ending in `/*` is a
 * mount and owns every path under it (`/admin/*`). Precedence: exact paths (one Map lookup),
 * then mounts, then templates, each in table order; templates split the path only when the
 * others missed, so the few parameterised routes cost nothing to the rest. The table also tells
 * a wrong method (405, with the methods to `Allow`) from no route (404).
 */

/** `*` takes any method (a mount that answers 404 and 405 itself). */
export type RouteMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | '*';

export interface Route<Handler> {
  readonly method: RouteMethod;
  /** `/v1/transfers/{id}`, `/healthz`, or a mount `/admin/*`. */
  readonly path: string;
  readonly handler: Handler;
}

export interface RouteTableOptions {
  /** A GET route answers HEAD too, and `Allow` lists HEAD after GET. @default false */
  readonly headFromGet?: boolean;
  /**
   * A `{param}` segment with broken percent-encoding: `no-match` (the route does not match) or
   * `raw` (the segment as sent, so a lookup by it answers not-found). @default 'no-match'
   */
  readonly undecodable?: 'no-match' | 'raw';
}

export type RouteMatch<R> =
  | { readonly kind: 'found'; readonly route: R; readonly params: ReadonlyMap<string, string> }
  | { readonly kind: 'wrong-method'; readonly allow: readonly string[] }
  | { readonly kind: 'none' };

/** A literal segment, or `{ param }` for a `{name}` one. */
type Segment = string | { readonly param: string };

interface Mount<R> {
  readonly route: R;
  /** The path prefix, ending in `/`. */
  readonly prefix: string;
}

interface Template<R> {
  readonly route: R;
  readonly segments: readonly Segment[];
}

const NO_PARAMS: ReadonlyMap<string, string> = new Map();

export class RouteTable<R extends Route<unknown>> {
  readonly routes: readonly R[];
  private readonly exact = new Map<string, R[]>();
  private readonly mounts: Mount<R>[] = [];
  private readonly templates: Template<R>[] = [];
  private readonly compiled = new Map<R, Mount<R> | Template<R>>();
  /** Preallocated answers for routes without parameters: an exact hit allocates nothing. */
  private readonly found = new Map<R, RouteMatch<R>>();
  private readonly headFromGet: boolean;
  private readonly keepUndecodable: boolean;

  constructor(routes: readonly R[], options: RouteTableOptions = {}) {
    this.routes = routes;
    this.headFromGet = options.headFromGet ?? false;
    this.keepUndecodable = options.undecodable === 'raw';
    for (const route of routes) {
      const path = route.path;
      if (path.endsWith('/*')) {
        const mount = { route, prefix: path.slice(0, -1) };
        this.mounts.push(mount);
        this.compiled.set(route, mount);
        this.found.set(route, { kind: 'found', route, params: NO_PARAMS });
      } else if (path.includes('{')) {
        const template = { route, segments: path.split('/').map(toSegment) };
        this.templates.push(template);
        this.compiled.set(route, template);
      } else {
        const list = this.exact.get(path);
        if (list === undefined) this.exact.set(path, [route]);
        else list.push(route);
        this.found.set(route, { kind: 'found', route, params: NO_PARAMS });
      }
    }
  }

  /**
   * The route for `method` and `path`, without its parameters and without allocating for exact
   * paths and mounts: what the top-level router asks on every request.
   */
  find(method: string, path: string): R | undefined {
    const list = this.exact.get(path);
    if (list !== undefined) for (const route of list) if (this.accepts(route.method, method)) return route;
    const mounts = this.mounts;
    for (let i = 0; i < mounts.length; i++) {
      const mount = mounts[i] as Mount<R>;
      if (path.startsWith(mount.prefix) && this.accepts(mount.route.method, method)) return mount.route;
    }
    if (this.templates.length === 0) return undefined;
    const segments = path.split('/');
    for (const template of this.templates)
      if (
        this.accepts(template.route.method, method) &&
        this.matchSegments(template.segments, segments, undefined)
      )
        return template.route;
    return undefined;
  }

  /** The route with its decoded parameters, or why there is none. */
  match(method: string, path: string): RouteMatch<R> {
    const route = this.mountOrExact(method, path);
    if (route !== undefined) return this.found.get(route) as RouteMatch<R>;
    if (this.templates.length > 0) {
      const segments = path.split('/');
      for (const template of this.templates) {
        if (!this.accepts(template.route.method, method)) continue;
        const params = new Map<string, string>();
        if (this.matchSegments(template.segments, segments, params))
          return { kind: 'found', route: template.route, params };
      }
    }
    const allow = this.allowed(path);
    return allow.length === 0 ? { kind: 'none' } : { kind: 'wrong-method', allow };
  }

  /** The methods the routes of `path` take, in table order (HEAD after GET with `headFromGet`). */
  allowed(path: string): string[] {
    const allow: string[] = [];
    let segments: string[] | undefined;
    for (const route of this.routes) {
      if (route.method === '*') continue;
      const compiled = this.compiled.get(route);
      let matches: boolean;
      if (compiled === undefined) matches = route.path === path;
      else if ('prefix' in compiled) matches = path.startsWith(compiled.prefix);
      else {
        segments ??= path.split('/');
        matches = this.matchSegments(compiled.segments, segments, undefined);
      }
      if (!matches) continue;
      addOnce(allow, route.method);
      if (this.headFromGet && route.method === 'GET') addOnce(allow, 'HEAD');
    }
    return allow;
  }

  private mountOrExact(method: string, path: string): R | undefined {
    const list = this.exact.get(path);
    if (list !== undefined) for (const route of list) if (this.accepts(route.method, method)) return route;
    for (const mount of this.mounts)
      if (path.startsWith(mount.prefix) && this.accepts(mount.route.method, method)) return mount.route;
    return undefined;
  }

  private accepts(routeMethod: RouteMethod, method: string): boolean {
    return (
      routeMethod === method ||
      routeMethod === '*' ||
      (this.headFromGet && method === 'HEAD' && routeMethod === 'GET')
    );
  }

  /** Fills `params` when given; a parameter must be a non-empty segment. */
  private matchSegments(
    template: readonly Segment[],
    segments: readonly string[],
    params: Map<string, string> | undefined,
  ): boolean {
    if (template.length !== segments.length) return false;
    for (let i = 0; i < template.length; i++) {
      const expected = template[i] as Segment;
      const actual = segments[i] as string;
      if (typeof expected === 'string') {
        if (expected !== actual) return false;
        continue;
      }
      if (actual === '') return false;
      const value = decodeSegment(actual, this.keepUndecodable);
      if (value === undefined) return false;
      params?.set(expected.param, value);
    }
    return true;
  }
}

function toSegment(segment: string): Segment {
  return segment.startsWith('{') && segment.endsWith('}') ? { param: segment.slice(1, -1) } : segment;
}

/** Names may hold any character, percent-encoded. */
function decodeSegment(segment: string, keepUndecodable: boolean): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return keepUndecodable ? segment : undefined;
  }
}

function addOnce(list: string[], method: string): void {
  if (!list.includes(method)) list.push(method);
}
