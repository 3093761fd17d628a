/** The one table of metric names, so dashboards and docs have a single source. */
export const METRIC = {
  requests: 'turnpike_requests_total',
  requestDuration: 'turnpike_request_duration_seconds',
  inflightRequests: 'turnpike_inflight_requests',
  upstreamAttempts: 'turnpike_upstream_attempts_total',
  upstreamLatency: 'turnpike_upstream_latency_seconds',
  upstreamInflight: 'turnpike_upstream_inflight',
  upstreamAvailable: 'turnpike_upstream_available',
  upstreamBreakerState: 'turnpike_upstream_breaker_state',
  upstreamHead: 'turnpike_upstream_block_head',
  upstreamHeadLag: 'turnpike_upstream_head_lag_blocks',
  upstreamExcluded: 'turnpike_upstream_excluded',
  upstreamErrorRate: 'turnpike_upstream_error_rate',
  breakerTransitions: 'turnpike_breaker_transitions_total',
  retries: 'turnpike_retries_total',
  hedges: 'turnpike_hedges_total',
  eventLoopUtilization: 'turnpike_event_loop_utilization',
} as const;
