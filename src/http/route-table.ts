/**
 * The one way routes are declared: method, path template, handler. A template's segments are
 * literal or `{param}` (one non-empty segment, percent-decoded); a template ending in `/*` is a
 * mount and owns every path under it (`/admin/*`). Exact paths cost one Map lookup; templates and
 * mounts are scanned in table order only when that misses, so the few parameterised routes cost
 * nothing to the others. The table also tells a wrong method (405, with the methods to `Allow`)
 * from no route (404).
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

interface Pattern<R> {
  readonly route: R;
  /** Set for a mount: the path prefix, ending in `/`. */
  readonly prefix: string | undefined;
  readonly segments: readonly Segment[];
}

const NO_PARAMS: ReadonlyMap<string, string> = new Map();

export class RouteTable<R extends Route<unknown>> {
  readonly routes: readonly R[];
  private readonly exact = new Map<string, R[]>();
  private readonly patterns: Pattern<R>[] = [];
  private readonly patternOf = new Map<R, Pattern<R>>();
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
        this.addPattern({ route, prefix: path.slice(0, -1), segments: [] });
        this.found.set(route, { kind: 'found', route, params: NO_PARAMS });
      } else if (path.includes('{')) {
        this.addPattern({ route, prefix: undefined, segments: path.split('/').map(toSegment) });
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
    let segments: string[] | undefined;
    for (const pattern of this.patterns) {
      if (!this.accepts(pattern.route.method, method)) continue;
      if (pattern.prefix !== undefined) {
        if (path.startsWith(pattern.prefix)) return pattern.route;
        continue;
      }
      segments ??= path.split('/');
      if (this.matchSegments(pattern.segments, segments, undefined)) return pattern.route;
    }
    return undefined;
  }

  /** The route with its decoded parameters, or why there is none. */
  match(method: string, path: string): RouteMatch<R> {
    const list = this.exact.get(path);
    if (list !== undefined)
      for (const route of list)
        if (this.accepts(route.method, method)) return this.found.get(route) as RouteMatch<R>;
    let segments: string[] | undefined;
    for (const pattern of this.patterns) {
      if (!this.accepts(pattern.route.method, method)) continue;
      if (pattern.prefix !== undefined) {
        if (path.startsWith(pattern.prefix)) return this.found.get(pattern.route) as RouteMatch<R>;
        continue;
      }
      segments ??= path.split('/');
      const params = new Map<string, string>();
      if (this.matchSegments(pattern.segments, segments, params))
        return { kind: 'found', route: pattern.route, params };
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
      const pattern = this.patternOf.get(route);
      let matches: boolean;
      if (pattern === undefined) matches = route.path === path;
      else if (pattern.prefix !== undefined) matches = path.startsWith(pattern.prefix);
      else {
        segments ??= path.split('/');
        matches = this.matchSegments(pattern.segments, segments, undefined);
      }
      if (!matches) continue;
      addOnce(allow, route.method);
      if (this.headFromGet && route.method === 'GET') addOnce(allow, 'HEAD');
    }
    return allow;
  }

  private addPattern(pattern: Pattern<R>): void {
    this.patterns.push(pattern);
    this.patternOf.set(pattern.route, pattern);
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
