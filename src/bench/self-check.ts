/**
 * Was the generator itself the bottleneck? A JS generator easily is. The run is invalid when a
 * generator thread's event loop was nearly always busy, its event-loop delay was high, or it
 * picked up due times late (dispatch lag: its own lateness, not waiting at the in-flight bound).
 */
import type { GeneratorSelf } from './generator.js';
import { type Histogram, percentileMs } from './histogram.js';

/** Beyond these the figures describe the generator, not the target. */
export const SELF_CHECK_LIMITS = {
  /** Event-loop utilization of any generator thread. */
  maxElu: 0.9,
  /** p99 of the dispatch lag over the measured phases, ms. */
  maxDispatchLagP99Ms: 5,
  /** p99 event-loop delay of any generator thread, ms. */
  maxLoopDelayP99Ms: 20,
} as const;

export interface SelfCheck {
  valid: boolean;
  reasons: string[];
  evidence: string[];
}

export function selfCheck(threads: readonly GeneratorSelf[], dispatchLag: Histogram): SelfCheck {
  const reasons: string[] = [];
  const evidence: string[] = [];
  const lagP99 = percentileMs(dispatchLag, 99);
  evidence.push(
    `dispatch lag p50 ${fmt(percentileMs(dispatchLag, 50))} ms, p99 ${fmt(lagP99)} ms, max ${fmt(dispatchLag.maxValue / 1000)} ms (limit p99 ${SELF_CHECK_LIMITS.maxDispatchLagP99Ms} ms)`,
  );
  if (lagP99 > SELF_CHECK_LIMITS.maxDispatchLagP99Ms)
    reasons.push(
      `the generator sent late: dispatch lag p99 ${fmt(lagP99)} ms > ${SELF_CHECK_LIMITS.maxDispatchLagP99Ms} ms`,
    );
  for (const t of threads) {
    evidence.push(
      `generator thread ${t.worker}: event loop ${(t.elu * 100).toFixed(0)} % busy, delay p99 ${fmt(t.delayP99Ms)} ms, max ${fmt(t.delayMaxMs)} ms`,
    );
    if (t.elu > SELF_CHECK_LIMITS.maxElu)
      reasons.push(
        `generator thread ${t.worker} event loop ${(t.elu * 100).toFixed(0)} % busy (> ${SELF_CHECK_LIMITS.maxElu * 100} %)`,
      );
    if (t.delayP99Ms > SELF_CHECK_LIMITS.maxLoopDelayP99Ms)
      reasons.push(
        `generator thread ${t.worker} event-loop delay p99 ${fmt(t.delayP99Ms)} ms (> ${SELF_CHECK_LIMITS.maxLoopDelayP99Ms} ms)`,
      );
    if (t.abandoned > 0)
      evidence.push(`generator thread ${t.worker}: ${t.abandoned} requests unanswered at the end`);
  }
  return { valid: reasons.length === 0, reasons, evidence };
}

function fmt(ms: number): string {
  return Number.isNaN(ms) ? '–' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}
