import { describe, expect, it } from 'vitest';
import { type Route, type RouteMethod, RouteTable } from './route-table.js';

const route = (method: RouteMethod, path: string): Route<string> => ({
  method,
  path,
  handler: `${method} ${path}`,
});

describe('RouteTable', () => {
  const table = new RouteTable([
    route('GET', '/items'),
    route('POST', '/items'),
    route('GET', '/items/{id}'),
    route('PATCH', '/items/{id}'),
    route('DELETE', '/items/{id}'),
    route('POST', '/items/{id}/archive'),
    route('GET', '/items/special'),
  ]);

  it('finds exact and parameterised routes, with decoded parameters', () => {
    const exact = table.match('POST', '/items');
    expect(exact.kind === 'found' && exact.route.handler).toBe('POST /items');
    expect(exact.kind === 'found' && exact.params.size).toBe(0);
    const param = table.match('PATCH', '/items/a%20b%2Fc');
    expect(param.kind === 'found' && param.route.handler).toBe('PATCH /items/{id}');
    expect(param.kind === 'found' && param.params.get('id')).toBe('a b/c');
    const nested = table.match('POST', '/items/7/archive');
    expect(nested.kind === 'found' && nested.params.get('id')).toBe('7');
  });

  it('tells a wrong method (405, Allow in table order) from no route (404)', () => {
    expect(table.match('PUT', '/items')).toEqual({ kind: 'wrong-method', allow: ['GET', 'POST'] });
    expect(table.match('POST', '/items/7')).toEqual({
      kind: 'wrong-method',
      allow: ['GET', 'PATCH', 'DELETE'],
    });
    expect(table.match('GET', '/nothing')).toEqual({ kind: 'none' });
    expect(table.match('GET', '/items/7/archive/x')).toEqual({ kind: 'none' });
    // HEAD is not GET unless the table says so.
    expect(table.match('HEAD', '/items').kind).toBe('wrong-method');
  });

  it('matches an exact path before a template that also fits it', () => {
    const special = table.match('GET', '/items/special');
    expect(special.kind === 'found' && special.route.handler).toBe('GET /items/special');
    // Methods of both count for Allow.
    expect(table.match('POST', '/items/special')).toEqual({
      kind: 'wrong-method',
      allow: ['GET', 'PATCH', 'DELETE'],
    });
  });

  it('refuses an empty parameter, and broken percent-encoding unless asked to keep it raw', () => {
    expect(table.match('GET', '/items/').kind).toBe('none');
    expect(table.match('GET', '/items/%E0%A4%A').kind).toBe('none');
    const raw = new RouteTable([route('GET', '/items/{id}')], { undecodable: 'raw' });
    const kept = raw.match('GET', '/items/%E0%A4%A');
    expect(kept.kind === 'found' && kept.params.get('id')).toBe('%E0%A4%A');
  });

  it('answers HEAD from GET routes with headFromGet, listing HEAD after GET', () => {
    const heads = new RouteTable([route('GET', '/a'), route('POST', '/a'), route('GET', '/b/{x}')], {
      headFromGet: true,
    });
    expect(heads.match('HEAD', '/a').kind).toBe('found');
    expect(heads.match('HEAD', '/b/1').kind).toBe('found');
    expect(heads.match('PUT', '/a')).toEqual({ kind: 'wrong-method', allow: ['GET', 'HEAD', 'POST'] });
  });

  it('mounts own every path under their prefix, for any method with *', () => {
    const mounts = new RouteTable([route('*', '/admin/*'), route('GET', '/health'), route('*', '/x')]);
    expect(mounts.find('DELETE', '/admin/v1/plans/x')?.handler).toBe('* /admin/*');
    expect(mounts.find('GET', '/admin/')?.handler).toBe('* /admin/*');
    expect(mounts.find('GET', '/admin')).toBeUndefined();
    expect(mounts.find('GET', '/administrator')).toBeUndefined();
    expect(mounts.find('POST', '/health')).toBeUndefined();
    expect(mounts.find('PATCH', '/x')?.handler).toBe('* /x');
  });

  it('find returns the same route as match, without parameters', () => {
    expect(table.find('PATCH', '/items/9')?.handler).toBe('PATCH /items/{id}');
    expect(table.find('PUT', '/items/9')).toBeUndefined();
    expect(table.find('GET', '/items/special')?.handler).toBe('GET /items/special');
  });
});
