/**
 * Consistency metrics, read at scrape time from the session stores' plain integers (the request
 * path only bumps them): sessions held, requests the session routed, shared-mark Redis failures.
 */
import type { MetricsCollector } from '../../metrics/collector.js';
import { METRIC } from '../../metrics/names.js';
import { readCounter, readGauge } from '../../metrics/scrape-metrics.js';
import type { Consistency } from './consistency.js';

/** Nothing is registered when consistency is off. */
export function consistencyMetrics(consistency: Consistency | undefined): MetricsCollector {
  return (registry) => {
    if (consistency === undefined) return;
    readGauge(
      registry,
      METRIC.consistencySessions,
      'Consistency sessions this process holds (bounded by consistency.sessions.maxSessions).',
      ['network'],
      'sum',
      (set) => {
        for (const store of consistency.sessionStores()) set({ network: store.network }, store.size);
      },
    );
    readCounter(
      registry,
      METRIC.consistencyRouted,
      'Requests whose upstream choice the session narrowed: reason mark (a latest read at or above the session mark) or send (a read about a recent send).',
      ['network', 'reason'],
      (set) => {
        for (const store of consistency.sessionStores()) {
          set({ network: store.network, reason: 'mark' }, store.routed.mark);
          set({ network: store.network, reason: 'send' }, store.routed.send);
        }
      },
    );
    // Registered without Redis too (always 0), so the family is there whichever way marks are kept.
    readCounter(
      registry,
      METRIC.consistencySharedMarkFailures,
      'Shared session-mark and send reads and writes Redis did not answer (a mark read went to the highest head; a mark or send stayed local).',
      [],
      (set) => set({}, consistency.shared?.failures ?? 0),
    );
  };
}
