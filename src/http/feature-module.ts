/**
 * What a feature hands the composition root (gateway.ts): its routes, how it starts, where it
 * closes in the drain, its metrics. The gateway assembles modules and wires nothing itself.
 */
import type { Registry } from 'prom-client';
import type { TurnpikeConfig } from '../config/schema.js';
import type { HttpRoute, RouteHandler } from './http-router.js';
import type { UpgradeHandler } from './upgrade.js';

export interface FeatureModule {
  /** For logs and the docs. */
  readonly name: string;
  /** The config section the module reads (`relayer`, `tenancy`…); undefined for the core. */
  readonly configSection?: keyof TurnpikeConfig;
  /** Top-level routes: exact paths and mounts (http-router.ts says in which order they match). */
  readonly routes?: readonly HttpRoute[];
  /** Answers every request no route took; exactly one module gives it (JSON-RPC `POST /{network}`). */
  readonly fallback?: RouteHandler;
  /** Takes WebSocket handshakes (`GET` with `Upgrade: websocket`); at most one module gives it. */
  readonly upgrade?: UpgradeHandler;
  /** First start phase, module by module in the order given: open stores and APIs. */
  open?(): Promise<void>;
  /** Second phase, after every module is open, in the same order: networks, engines. */
  start?(): Promise<void>;
  /** Called as the drain begins, before in-flight requests are waited for. */
  drain?(): void;
  /** This module's place in the drain (CLOSE_ORDER); lower closes first. */
  readonly closeOrder?: number;
  /** Closes what `open` and `start` made, once the last answer is out. */
  close?(): Promise<void> | void;
  /** Registers the module's collectors with the gateway's metrics registry. */
  registerMetrics?(registry: Registry): void;
}

/**
 * The drain, after the last answer went out: the relayer stores what waits for a commit before
 * its engine and store close; the networks close before tenancy, so the meter's final flush
 * covers every request served; the cache tiers, the metrics and the upstream event log last.
 */
export const CLOSE_ORDER = {
  realtime: 5,
  relayer: 10,
  networks: 20,
  tenancy: 30,
  cache: 40,
  metrics: 50,
  eventLog: 60,
} as const;
