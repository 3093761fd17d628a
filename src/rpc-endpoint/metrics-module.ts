/**
 * The metrics as a feature module: the gateway's Prometheus registry and `GET /metrics`. Other
 * modules register their collectors through FeatureModule.registerMetrics.
 */
import type { Drain } from '../http/drain.js';
import { CLOSE_ORDER, type FeatureModule } from '../http/feature-module.js';
import type { HttpRoute } from '../http/http-router.js';
import { type ResponseContext, send } from '../http/respond.js';
import { createMetrics, type GatewayMetrics } from '../metrics/registry.js';
import type { Network } from '../network/network.js';

export interface MetricsModuleOptions {
  readonly response: ResponseContext;
  /** The networks whose request events this registry counts. */
  readonly networks: ReadonlyMap<string, Network>;
  /** Label for per-worker metrics. @default "0" */
  readonly workerLabel?: string | undefined;
  readonly drain: Drain;
  /** Replaces the local registry's text (cluster workers ask the primary for the aggregate). */
  readonly metricsText?: (() => Promise<{ contentType: string; body: string }>) | undefined;
}

export class MetricsModule implements FeatureModule {
  readonly name = 'metrics';
  readonly closeOrder = CLOSE_ORDER.metrics;
  readonly metrics: GatewayMetrics;
  readonly routes: readonly HttpRoute[];

  constructor(options: MetricsModuleOptions) {
    const { drain, response } = options;
    const metrics = createMetrics({
      workerLabel: options.workerLabel ?? '0',
      readInflight: () => drain.inflight,
      owners: options.networks.values(),
    });
    this.metrics = metrics;
    const metricsText =
      options.metricsText ??
      (async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }));
    this.routes = [
      {
        method: 'GET',
        path: '/metrics',
        handler: (req, res, headers) =>
          metricsText().then((text) => {
            headers['content-type'] = text.contentType;
            send(response, req, res, 200, text.body, headers);
          }),
      },
    ];
  }

  close(): void {
    this.metrics.close();
  }
}
