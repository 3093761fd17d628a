/**
 * Log lines for upstream events: breaker transitions always (they are rare and an operator needs
 * them), failed attempts and retries only at `debug` (at thousands of requests a second they
 * would flood the log). Upstreams are named by id; their URLs, which may hold API keys, are
 * never logged from here.
 */
import type diagnostics from 'node:diagnostics_channel';
import {
  type BreakerEvent,
  breakerChannel,
  type ProbeEvent,
  probeChannel,
  type RetryEvent,
  retryChannel,
  type UpstreamAttemptEvent,
  upstreamAttemptChannel,
} from '../events/channels.js';
import type { Logger } from './logger.js';

type Subscription = [diagnostics.Channel, (message: unknown) => void];

/** Subscribes `log` to the events of `owners` (a gateway's networks); returns the unsubscribe. */
export function logUpstreamEvents(log: Logger, owners: ReadonlySet<object>): () => void {
  const subscriptions: Subscription[] = [
    [
      breakerChannel,
      (message) => {
        const event = message as BreakerEvent;
        if (!owners.has(event.owner)) return;
        const fields = {
          network: event.network,
          upstream: event.upstream,
          breaker: event.state,
          ...(event.reason !== undefined && { reason: event.reason }),
          // Learned from another cluster worker, which logged the failure itself.
          ...(event.shared && { shared: true }),
        };
        const by = event.shared ? ' (reported by another worker)' : '';
        if (event.state === 'open') log.warn(fields, `breaker opened for upstream ${event.upstream}${by}`);
        else log.info(fields, `breaker ${event.state} for upstream ${event.upstream}${by}`);
      },
    ],
  ];
  if (log.isLevelEnabled('debug')) {
    subscriptions.push(
      [
        upstreamAttemptChannel,
        (message) => {
          const event = message as UpstreamAttemptEvent;
          if (!owners.has(event.owner) || event.outcome === 'ok' || event.outcome === 'rpc_error') return;
          log.debug(
            {
              network: event.network,
              upstream: event.upstream,
              method: event.method,
              outcome: event.outcome,
              reason: event.reason,
              durationMs: event.durationMs,
              hedge: event.hedge,
            },
            'upstream attempt failed',
          );
        },
      ],
      [
        probeChannel,
        (message) => {
          const event = message as ProbeEvent;
          if (!owners.has(event.owner)) return;
          log.debug(
            {
              network: event.network,
              upstream: event.upstream,
              outcome: event.outcome,
              reason: event.reason,
            },
            'health probe failed',
          );
        },
      ],
      [
        retryChannel,
        (message) => {
          const event = message as RetryEvent;
          if (!owners.has(event.owner)) return;
          log.debug(
            { network: event.network, upstream: event.upstream, method: event.method, reason: event.reason },
            'retrying',
          );
        },
      ],
    );
  }
  for (const [channel, handler] of subscriptions) channel.subscribe(handler);
  return () => {
    for (const [channel, handler] of subscriptions) channel.unsubscribe(handler);
  };
}
