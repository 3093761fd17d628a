/**
 * Finds the admin route for a method and path. Templates are few and fixed, so a linear scan
 * over pre-split segments is enough; it also tells a wrong method (405) from no route (404).
 */
import type { AdminMethod, AdminRoute } from './define-route.js';

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: AdminRoute; readonly params: ReadonlyMap<string, string> }
  | { readonly kind: 'wrong-method'; readonly allow: readonly AdminMethod[] }
  | { readonly kind: 'none' };

interface CompiledRoute {
  readonly route: AdminRoute;
  /** A literal segment, or `{ param }` for a `{name}` one. */
  readonly segments: readonly (string | { readonly param: string })[];
}

export class RouteTable {
  private readonly compiled: readonly CompiledRoute[];

  constructor(routes: readonly AdminRoute[]) {
    this.compiled = routes.map((route) => ({
      route,
      segments: route.path.split('/').map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment)?.[1];
        return param === undefined ? segment : { param };
      }),
    }));
  }

  match(method: string, path: string): RouteMatch {
    const segments = path.split('/');
    const allow: AdminMethod[] = [];
    for (const { route, segments: template } of this.compiled) {
      const params = matchSegments(template, segments);
      if (params === undefined) continue;
      if (route.method === method) return { kind: 'found', route, params };
      allow.push(route.method);
    }
    return allow.length === 0 ? { kind: 'none' } : { kind: 'wrong-method', allow };
  }
}

function matchSegments(
  template: CompiledRoute['segments'],
  segments: readonly string[],
): Map<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const params = new Map<string, string>();
  for (let i = 0; i < template.length; i++) {
    const expected = template[i];
    const actual = segments[i] ?? '';
    if (typeof expected === 'string') {
      if (expected !== actual) return undefined;
    } else {
      const value = decodeSegment(actual);
      if (value === undefined || value === '') return undefined;
      params.set(expected?.param ?? '', value);
    }
  }
  return params;
}

/** Names may hold any character, percent-encoded; broken encoding matches nothing. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
