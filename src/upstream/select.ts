/**
 * Power-of-two-choices over (in-flight + 1) × EWMA latency ÷ weight. Two random candidates
 * keep the choice cheap and avoid herding onto one "best" upstream. Fallback-tier upstreams are
 * considered only when no primary is available.
 */
import type { Upstream } from './upstream.js';

export type RandomSource = () => number;

export function selectUpstream(
  upstreams: readonly Upstream[],
  skip: ReadonlySet<Upstream> | undefined,
  random: RandomSource = Math.random,
): Upstream | undefined {
  return (
    pickFromTier(upstreams, 'primary', skip, random) ?? pickFromTier(upstreams, 'fallback', skip, random)
  );
}

function pickFromTier(
  upstreams: readonly Upstream[],
  tier: 'primary' | 'fallback',
  skip: ReadonlySet<Upstream> | undefined,
  random: RandomSource,
): Upstream | undefined {
  let first: Upstream | undefined;
  let second: Upstream | undefined;
  let seen = 0;
  // Reservoir-sample two eligible upstreams in one pass without allocating.
  for (const upstream of upstreams) {
    if (upstream.tier !== tier || !upstream.isAvailable() || skip?.has(upstream)) continue;
    seen++;
    if (seen === 1) first = upstream;
    else if (seen === 2) {
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
  if (first === undefined || second === undefined) return first;
  return second.score() < first.score() ? second : first;
}
