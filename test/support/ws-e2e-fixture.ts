/**
 * The shared setup of test/websocket-e2e-*.test.ts: anvil with the harness's log emitter
 * (anvil_setCode), a gateway with one network `anvil` in front of it (or of proxies), its
 * WebSocket URL, the feed started and caught up with the node, and cleanups run after each test.
 */
import { afterEach } from 'vitest';
import type { TurnpikeConfigInput } from '../../src/config/schema.js';
import { type AnvilNode, startAnvil } from '../../src/dev/anvil.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { A, blockAt, call, EMITTER_CODE, type RawBlock, waitFor } from './realtime-feed-harness.js';
import { Recorder } from './ws-recorder.js';

type NetworkInput = NonNullable<TurnpikeConfigInput['networks']>[string];

/** Cleanups registered during a test, run (last first) after it; call once per test file. */
export function cleanupsAfterEach(): (cleanup: () => Promise<unknown>) => void {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}

/** Anvil with the log emitter's code at each of `emitters` (and `code` at other addresses). */
export async function startEmitterNode(
  emitters: readonly string[] = [A],
  code: Readonly<Record<string, string>> = {},
): Promise<AnvilNode> {
  const anvil = await startAnvil();
  for (const address of emitters) await call(anvil.url, 'anvil_setCode', [address, EMITTER_CODE]);
  for (const [address, bytes] of Object.entries(code))
    await call(anvil.url, 'anvil_setCode', [address, bytes]);
  return anvil;
}

export interface WsGatewayOptions {
  /** Upstream entries of the network (default: the node alone). */
  upstreams: NetworkInput['upstreams'];
  /** Merged into the network's cache section (finality by depth 5, head poll 40 ms). */
  cache?: NonNullable<NetworkInput['cache']>;
  /** More of the network's sections (failsafe, health). */
  network?: Partial<NetworkInput>;
  realtime?: TurnpikeConfigInput['realtime'];
}

export interface WsGateway {
  gateway: Gateway;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** `ws://127.0.0.1:<port>/anvil` */
  wsUrl: string;
}

/** A gateway with one network `anvil` (chain 31337), listening on a free port. */
export async function startWsGateway(options: WsGatewayOptions): Promise<WsGateway> {
  const gateway = createGateway({
    logging: { level: 'silent' },
    ...(options.realtime !== undefined && { realtime: options.realtime }),
    networks: {
      anvil: {
        chainId: 31337,
        upstreams: options.upstreams,
        ...options.network,
        cache: { finality: 'depth', depth: 5, headPollMs: 40, ...options.cache },
      },
    },
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;
  return { gateway, baseUrl, wsUrl: `ws://127.0.0.1:${port}/anvil` };
}

/** The gateway's feed has delivered the node's current head. */
export async function feedAtHead(gateway: Gateway, nodeUrl: string): Promise<RawBlock> {
  const head = await blockAt(nodeUrl, 'latest');
  await waitFor('the feed at the head', () => gateway.realtime!.feedOf('anvil')?.tip?.hash === head.hash);
  return head;
}

/**
 * Starts the network's feed with a first subscription and waits until it is at the node's head,
 * so later subscribers get exactly the blocks after theirs. Returns the warm-up socket (still
 * open) and that head.
 */
export async function startFeed(
  gateway: Gateway,
  wsUrl: string,
  nodeUrl: string,
): Promise<{ warmup: Recorder; head: RawBlock }> {
  const warmup = await Recorder.open(wsUrl);
  await warmup.subscribe('newHeads');
  return { warmup, head: await feedAtHead(gateway, nodeUrl) };
}
