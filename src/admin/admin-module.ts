/**
 * The admin API as a feature module: it owns every path under `/admin/` and answers them once
 * tenancy is open with a store and an admin token is set; otherwise 404 ERR_ROUTE_NOT_FOUND
 * saying how to turn it on.
 */
import type { TurnpikeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { FeatureModule } from '../http/feature-module.js';
import type { HttpRoute, RouteHandler } from '../http/http-router.js';
import { type ResponseContext, sendError } from '../http/respond.js';
import type { Logger } from '../logging/logger.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { createAdminRoute } from './admin-route.js';

export interface AdminModuleOptions {
  readonly config: TurnpikeConfig;
  readonly response: ResponseContext;
  readonly log: Logger;
  /** The tenancy layer once open (the tenancy module opens before this one). */
  readonly tenancy: () => Tenancy | undefined;
}

export class AdminModule implements FeatureModule {
  readonly name = 'admin';
  readonly configSection = 'tenancy';
  readonly routes: readonly HttpRoute[];
  private handler: RouteHandler | undefined;

  constructor(private readonly options: AdminModuleOptions) {
    const response = options.response;
    this.routes = [
      {
        method: '*',
        path: '/admin/*',
        handler: (req, res, headers, path) => {
          if (this.handler !== undefined) return this.handler(req, res, headers, path);
          const error = new GatewayError(
            'ERR_ROUTE_NOT_FOUND',
            'the admin API is off: enable tenancy and set an admin token',
          );
          sendError(response, req, res, error, null, headers);
          return undefined;
        },
      },
    ];
  }

  async open(): Promise<void> {
    const tenancy = this.options.tenancy();
    if (tenancy === undefined) return;
    const { config, response, log } = this.options;
    this.handler = createAdminRoute(config, tenancy, response, { log });
  }
}
