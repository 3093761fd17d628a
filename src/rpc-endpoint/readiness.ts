/** `GET /readyz`: ready when not draining and every network is; the detail of every upstream. */
import type { Network } from '../network/network.js';

export function readiness(networks: ReadonlyMap<string, Network>, draining: boolean) {
  const detail: Record<string, unknown> = {};
  let ready = !draining;
  for (const [name, network] of networks) {
    const networkReady = network.isReady();
    ready &&= networkReady;
    detail[name] = {
      ready: networkReady,
      upstreams: network.upstreams.map((upstream) => ({
        id: upstream.id,
        url: upstream.displayUrl,
        available: upstream.isAvailable(),
        breaker: upstream.breaker.state,
        head: upstream.head,
        excluded: upstream.exclusionReason ?? null,
        inflight: upstream.inflight,
        errorRate: Number(upstream.breaker.errorRate().toFixed(4)),
        latencyMs: Number(upstream.latency.ewmaMs.toFixed(3)),
        penaltyMs: Number(upstream.latency.penaltyMs().toFixed(3)),
      })),
    };
  }
  return { ready, detail: { ready, draining, networks: detail } };
}
