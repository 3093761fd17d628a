import { afterEach, describe, expect, it } from 'vitest';
import { type NetworkConfig, networkSchema } from '../config/schema.js';
import type { RequestRoute } from './request-route.js';
import { selectRouted } from './route-select.js';
import { Upstream } from './upstream.js';

const created: Upstream[] = [];

afterEach(async () => {
  await Promise.all(created.splice(0).map((upstream) => upstream.destroy()));
});

/** Real Upstream objects at the given heads (their pools never connect). */
function atHeads(...heads: number[]): Upstream[] {
  const config: NetworkConfig = networkSchema.parse({
    upstreams: heads.map((_, index) => ({ id: `u${index}`, url: `http://127.0.0.1:${9 + index}` })),
  });
  return config.upstreams.map((upstreamConfig, index) => {
    const upstream = new Upstream(upstreamConfig, index, 'test', config);
    if (heads[index]! >= 0) upstream.noteHead(heads[index]!, Date.now());
    created.push(upstream);
    return upstream;
  });
}

function route(patch: Partial<RequestRoute>): RequestRoute {
  return {
    only: undefined,
    prefer: undefined,
    minBlock: 0,
    minHead: 0,
    maxLag: -1,
    skipCache: false,
    attempts: undefined,
    served: undefined,
    ...patch,
  };
}

function picked(list: readonly Upstream[], chosen: RequestRoute, times = 200): Set<string> {
  const ids = new Set<string>();
  for (let i = 0; i < times; i++) ids.add(selectRouted(list, undefined, chosen)?.id ?? 'none');
  return ids;
}

describe('selectRouted', () => {
  it('spreads over every upstream at or above the session mark, and only those', () => {
    const list = atHeads(100, 110, 120, 90);
    expect(picked(list, route({ minHead: 105 }))).toEqual(new Set(['u1', 'u2']));
    expect(picked(list, route({}))).toEqual(new Set(['u0', 'u1', 'u2', 'u3']));
  });

  it('falls back to the highest known head when none reaches the mark', () => {
    const list = atHeads(100, 110);
    expect(picked(list, route({ minHead: 500 }))).toEqual(new Set(['u1']));
  });

  it('treats min block and max lag as hard limits', () => {
    const list = atHeads(100, 110, 108);
    expect(picked(list, route({ minBlock: 500 }))).toEqual(new Set(['none']));
    expect(picked(list, route({ maxLag: 2 }))).toEqual(new Set(['u1', 'u2']));
    expect(picked(list, route({ maxLag: 0, minHead: 500 }))).toEqual(new Set(['u1']));
  });

  it("keeps to a named upstream, and prefers a send's upstream while it is available", () => {
    const list = atHeads(100, 110);
    expect(picked(list, route({ only: list[0] }))).toEqual(new Set(['u0']));
    expect(picked(list, route({ prefer: list[0], minHead: 110 }))).toEqual(new Set(['u0']));
    expect(selectRouted(list, new Set([list[0]!]), route({ prefer: list[0] }))?.id).toBe('u1');
  });

  it('uses the usual choice while no head is known', () => {
    const list = atHeads(-1, -1);
    expect(picked(list, route({ minHead: 5 }))).not.toEqual(new Set(['none']));
  });
});
