/**
 * Shared pieces of the failover suites: a gateway in front of given upstream URLs, a closed-loop
 * load runner that records who answered, /readyz and /metrics readers, and a proxy that forwards a
 * request and then loses the answer (the fault proxy always faults *before* forwarding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, type Dispatcher, request } from 'undici';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { postJson } from './support/rpc.js';

type NetworkInput = TurnpikeConfigInput['networks'][string];

export const NETWORK = 'anvil';
/** Anvil's first default account (funded on every fresh node). */
export const RICH_ACCOUNT = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

export interface UpstreamSpec {
  id: string;
  url: string;
  weight?: number;
}

export interface TestGateway {
  readonly gateway: Gateway;
  readonly baseUrl: string;
  /** The network route. */
  readonly url: string;
  /** A keep-alive client with enough sockets for the load runner. */
  readonly client: Dispatcher;
  close(): Promise<void>;
}

export async function startTestGateway(
  upstreams: readonly UpstreamSpec[],
  network: Omit<NetworkInput, 'upstreams'> = {},
): Promise<TestGateway> {
  const gateway = createGateway({
    logging: { level: 'silent' },
    networks: {
      [NETWORK]: {
        chainId: 31337,
        ...network,
        upstreams: upstreams.map((upstream) => ({
          id: upstream.id,
          url: upstream.url,
          ...(upstream.weight !== undefined && { weight: upstream.weight }),
        })),
      },
    },
  });
  const { url: baseUrl } = await gateway.listen(0, '127.0.0.1');
  const client = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  return {
    gateway,
    baseUrl,
    url: `${baseUrl}/${NETWORK}`,
    client,
    async close() {
      await client.destroy();
      await gateway.close(1_000);
    },
  };
}

export interface LoadOutcome {
  index: number;
  status: number;
  upstream: string | undefined;
  /** Set for any response that is not HTTP 200 with a `result`, or a transport failure. */
  error: string | undefined;
}

export interface LoadResult {
  outcomes: LoadOutcome[];
  errors: LoadOutcome[];
  /** Responses per `X-Turnpike-Upstream`. */
  byUpstream: Map<string, number>;
}

export interface LoadOptions {
  url: string;
  client: Dispatcher;
  total: number;
  concurrency: number;
  /** The JSON-RPC request for the i-th call. @default eth_getBalance of RICH_ACCOUNT */
  payload?: (index: number) => unknown;
  /** Called after each completed call with the number completed so far. */
  onProgress?: (completed: number) => void;
}

/** Closed-loop load: `concurrency` workers each send the next request when their previous one ends. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const payload =
    options.payload ??
    ((index: number) => ({
      jsonrpc: '2.0',
      id: index,
      method: 'eth_getBalance',
      params: [RICH_ACCOUNT, 'latest'],
    }));
  const outcomes: LoadOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.total) {
      const index = next++;
      outcomes.push(await call(options, index, payload(index)));
      options.onProgress?.(outcomes.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const byUpstream = new Map<string, number>();
  for (const outcome of outcomes) {
    const key = outcome.upstream ?? '(none)';
    byUpstream.set(key, (byUpstream.get(key) ?? 0) + 1);
  }
  return { outcomes, errors: outcomes.filter((outcome) => outcome.error !== undefined), byUpstream };
}

async function call(options: LoadOptions, index: number, payload: unknown): Promise<LoadOutcome> {
  try {
    const res = await postJson(options.url, payload, { dispatcher: options.client, timeoutMs: 30_000 });
    const upstream = res.headers['x-turnpike-upstream'];
    const body = res.body as { id?: unknown; result?: unknown; error?: unknown } | undefined;
    const ok = res.status === 200 && body !== undefined && 'result' in body && body.id === index;
    return {
      index,
      status: res.status,
      upstream: typeof upstream === 'string' ? upstream : undefined,
      error: ok ? undefined : `HTTP ${res.status}: ${res.text.slice(0, 300)}`,
    };
  } catch (err) {
    return { index, status: 0, upstream: undefined, error: String(err) };
  }
}

export interface ReadyzUpstream {
  id: string;
  available: boolean;
  breaker: 'closed' | 'open' | 'half-open';
  head: number;
  excluded: string | null;
  inflight: number;
}

export async function readyz(baseUrl: string): Promise<{ status: number; upstreams: ReadyzUpstream[] }> {
  const res = await request(`${baseUrl}/readyz`);
  const body = (await res.body.json()) as { networks: Record<string, { upstreams: ReadyzUpstream[] }> };
  return { status: res.statusCode, upstreams: body.networks[NETWORK]!.upstreams };
}

export async function upstreamState(baseUrl: string, id: string): Promise<ReadyzUpstream> {
  const found = (await readyz(baseUrl)).upstreams.find((upstream) => upstream.id === id);
  if (found === undefined) throw new Error(`no upstream ${id} in /readyz`);
  return found;
}

export async function metricsText(baseUrl: string): Promise<string> {
  const res = await request(`${baseUrl}/metrics`);
  return res.body.text();
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (wanted) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs` (generous: this is no timing test). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

export interface LossyProxy {
  url: string;
  /** Requests of the lossy method that were forwarded, then had their answer lost. */
  readonly lost: number;
  close(): Promise<void>;
}

/**
 * Forwards every request to `target`; for `method` it waits for the upstream's answer and then
 * loses it: `truncate` sends half the bytes and closes the socket, `hang` never answers. This is
 * the case the gateway cannot see: the node *did* receive the request.
 */
export async function startLossyProxy(
  target: string,
  method: string,
  mode: 'truncate' | 'hang',
): Promise<LossyProxy> {
  const upstream = new Agent({ connections: 8 });
  const sockets = new Set<Socket>();
  let lost = 0;
  const server: Server = createServer((req, res) => {
    void relay(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const reply = await request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      dispatcher: upstream,
    });
    const bytes = Buffer.from(await reply.body.arrayBuffer());
    const lossy = body.includes(`"method":"${method}"`);
    if (!lossy) {
      res.writeHead(reply.statusCode, { 'content-type': 'application/json' });
      res.end(bytes);
      return;
    }
    lost++;
    if (mode === 'hang') return;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
    res.write(bytes.subarray(0, bytes.length >> 1), () => res.socket?.destroy());
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get lost() {
      return lost;
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
      await upstream.destroy();
    },
  };
}
