/**
 * Selection under a RequestRoute (request-route.ts). Hard limits (a named upstream, a minimum
 * block, a maximum lag) filter; the session's mark and a send's upstream are preferences: among
 * upstreams meeting the mark, power-of-two-choices as usual; when none does, the one with the
 * highest known head (its real head is often further on than what Turnpike last heard).
 * Only requests that carry a route come here: the usual path keeps select.ts.
 */
import type { RequestRoute } from './request-route.js';
import { type RandomSource, selectUpstream } from './select.js';
import type { Upstream } from './upstream.js';

export function selectRouted(
  upstreams: readonly Upstream[],
  skip: ReadonlySet<Upstream> | undefined,
  route: RequestRoute,
  random: RandomSource = Math.random,
): Upstream | undefined {
  if (route.only !== undefined) return route.only.isAvailable() ? route.only : undefined;
  const prefer = route.prefer;
  if (prefer?.isAvailable() && skip?.has(prefer) !== true) return prefer;
  const floor = hardFloor(upstreams, route);
  const minHead = Math.max(route.minHead, floor);
  if (minHead <= 0) return selectUpstream(upstreams, skip, random);
  let first: Upstream | undefined;
  let second: Upstream | undefined;
  let seen = 0;
  let highest: Upstream | undefined;
  for (const upstream of upstreams) {
    if (!upstream.isAvailable() || skip?.has(upstream) === true || (floor > 0 && upstream.head < floor))
      continue;
    if (highest === undefined || upstream.head > highest.head) highest = upstream;
    if (upstream.head < minHead) continue;
    seen++;
    if (seen === 1) first = upstream;
    else if (seen === 2) {
      // Random order, so equal scores do not always favour the first in the list.
      if (random() < 0.5) second = upstream;
      else {
        second = first;
        first = upstream;
      }
    } else {
      const slot = Math.floor(random() * seen);
      if (slot === 0) first = upstream;
      else if (slot === 1) second = upstream;
    }
  }
  // None meets the mark: the highest known head; none known at all: the usual choice.
  if (first === undefined)
    return highest ?? (floor > 0 ? undefined : selectUpstream(upstreams, skip, random));
  if (second === undefined) return first;
  return second.score() < first.score() ? second : first;
}

/** The lowest head the hard limits allow: `minBlock`, and `maxLag` below the highest head. */
function hardFloor(upstreams: readonly Upstream[], route: RequestRoute): number {
  let floor = route.minBlock;
  if (route.maxLag >= 0) {
    let top = -1;
    for (const upstream of upstreams) if (upstream.isAvailable() && upstream.head > top) top = upstream.head;
    if (top - route.maxLag > floor) floor = top - route.maxLag;
  }
  return floor;
}
