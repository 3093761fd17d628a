/**
 * The knee of a ramp: the first second where the achieved rate stops following the offered rate
 * (below 95 % of it for two seconds running) or corrected p99 leaves its early level (above
 * 3 × the median of the ramp's first three seconds and 5 ms more).
 */
import type { Knee, SecondReport } from './report-schema.js';

const FOLLOW_RATIO = 0.95;

export function findKnee(
  seconds: readonly SecondReport[],
  ramps: readonly { name: string; start: number; end: number }[],
): Knee | undefined {
  for (const ramp of ramps) {
    // Whole seconds inside the ramp, skipping the first (completions of the previous phase).
    const inside = seconds.filter((s) => s.t > ramp.start && s.t + 1 <= ramp.end + 1e-9 && s.offeredRps > 0);
    if (inside.length < 3) continue;
    const early = inside
      .slice(0, 3)
      .map((s) => s.corrected.p99)
      .sort((a, b) => a - b)[1]!;
    for (let i = 0; i < inside.length; i++) {
      const s = inside[i]!;
      const next = inside[i + 1];
      const behind = (x: SecondReport) => x.achievedRps < FOLLOW_RATIO * x.offeredRps;
      if (behind(s) && (next === undefined || behind(next)))
        return {
          phase: ramp.name,
          t: s.t,
          offeredRps: s.offeredRps,
          achievedRps: s.achievedRps,
          reason: `achieved ${s.achievedRps} rps < ${FOLLOW_RATIO * 100} % of offered ${s.offeredRps} rps`,
        };
      if (i >= 3 && s.corrected.p99 > 3 * early + 5)
        return {
          phase: ramp.name,
          t: s.t,
          offeredRps: s.offeredRps,
          achievedRps: s.achievedRps,
          reason: `corrected p99 ${s.corrected.p99.toFixed(1)} ms > 3 × early ${early.toFixed(1)} ms + 5 ms`,
        };
    }
  }
  return undefined;
}
