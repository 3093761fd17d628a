/** A gateway listening on a free loopback port in front of real anvil nodes, for integration tests. */
import type { TurnpikeConfigInput } from '../../src/config/schema.js';
import { type AnvilNode, type AnvilOptions, startAnvil } from '../../src/dev/anvil.js';
import { createGateway, type Gateway } from '../../src/gateway.js';

type ServerInput = NonNullable<TurnpikeConfigInput['server']>;
type NetworkInput = TurnpikeConfigInput['networks'][string];

export interface GatewayFixtureOptions {
  /** Options of the gateway's `server` section. */
  server?: ServerInput;
  /** Extra options of the one network (upstreams are filled in from the anvils). */
  network?: Omit<NetworkInput, 'upstreams'>;
  /** @default 'anvil' */
  networkName?: string;
  /** Number of anvil upstreams to start. @default 1 */
  anvils?: number;
  /** Use these upstream URLs instead of starting anvils (the caller owns those nodes). */
  upstreamUrls?: readonly string[];
  anvil?: AnvilOptions;
  /** Extra options of every upstream (e.g. its `pool`). */
  upstream?: Omit<NetworkInput['upstreams'][number], 'url' | 'id'>;
}

export interface GatewayFixture {
  readonly gateway: Gateway;
  /** Base URL of the gateway (no trailing slash). */
  readonly baseUrl: string;
  readonly port: number;
  /** URL of the network route, `${baseUrl}/${networkName}`. */
  readonly url: string;
  /** The anvils this fixture started (empty with `upstreamUrls`). */
  readonly anvils: readonly AnvilNode[];
  close(): Promise<void>;
}

export async function startGatewayFixture(options: GatewayFixtureOptions = {}): Promise<GatewayFixture> {
  const networkName = options.networkName ?? 'anvil';
  const anvils =
    options.upstreamUrls === undefined
      ? await Promise.all(Array.from({ length: options.anvils ?? 1 }, () => startAnvil(options.anvil)))
      : [];
  const urls = options.upstreamUrls ?? anvils.map((anvil) => anvil.url);
  const gateway = createGateway({
    logging: { level: 'silent' },
    server: { ...options.server },
    networks: {
      [networkName]: {
        ...options.network,
        upstreams: urls.map((url, index) => ({ ...options.upstream, id: `anvil-${index}`, url })),
      },
    },
  });
  try {
    const { url: baseUrl, port } = await gateway.listen(0, '127.0.0.1');
    return {
      gateway,
      baseUrl,
      port,
      url: `${baseUrl}/${networkName}`,
      anvils,
      async close() {
        await gateway.close(1_000);
        await Promise.all(anvils.map((anvil) => anvil.stop()));
      },
    };
  } catch (err) {
    await gateway.close(0).catch(() => undefined);
    await Promise.all(anvils.map((anvil) => anvil.stop()));
    throw err;
  }
}
