/**
 * A real Prometheus (Debian's package) scrapes a live gateway every second while it serves load:
 * tenancy on (a prepaid project, a throttled key, bad keys), WebSocket calls and refused
 * handshakes, the relayer on anvil sending transfers and webhooks, a second upstream that is slow
 * at times and down for a few seconds (breaker, retries, hedges) and a cache that hits. Then every
 * metric any Grafana panel or rule reads must be in Prometheus, every rule must parse, and every
 * panel's expression must return data: no panel is broken by a renamed or missing metric.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type Fault, type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { type PrometheusServer, startPrometheus } from './support/prometheus-server.js';
import {
  loadDashboards,
  loadRules,
  metricNamesIn,
  panelExpressions,
  RULES_FILE,
  substituteVariables,
} from './support/promql-sources.js';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';
import { openSocket } from './support/ws-client.js';

const adminToken = randomBytes(16).toString('hex');
const OPENING_CREDITS = 10_000_000;
/** How long the load may run while waiting for every expression to have data. */
const LOAD_DEADLINE_MS = 45_000;

const panels = panelExpressions(loadDashboards()).map(({ where, expr }) => ({
  where,
  expr: substituteVariables(expr),
}));
const rules = loadRules();
const referenced = [
  ...new Set([...panels, ...rules].flatMap(({ expr }) => metricNamesIn(substituteVariables(expr)))),
].sort();

let relayer: RelayerFixture;
let flaky: FaultProxy;
let webhooks: Server;
let gateway: Gateway;
let prometheus: PrometheusServer;
let base: string;
let prepaidKey: string;
let throttledKey: string;
let prepaidProject: string;
let loading = true;
let load: Promise<unknown>;

// biome-ignore lint/suspicious/noExplicitAny: the test reads answers by path.
async function admin(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/admin/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function call(path: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

const rpcBody = (method: string, params: unknown[]) => ({ jsonrpc: '2.0', id: 1, method, params });
const SLOW_BLOCKS: Fault = { kind: 'latency', ms: 300, probability: 0.5, methods: ['eth_getBlockByNumber'] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps calling until `loading` is false; a failed call is part of the load, not an error. */
async function loop(step: (i: number) => Promise<unknown>, pauseMs: number): Promise<void> {
  for (let i = 0; loading; i++) {
    await step(i).catch(() => undefined);
    await sleep(pauseMs);
  }
}

const RPC_MIX: [string, unknown[]][] = [
  ['eth_getBalance', ['0x0000000000000000000000000000000000000001', 'latest']],
  ['eth_blockNumber', []],
  // An old block: final at depth 2, so cached after its first answer.
  ['eth_getBlockByNumber', ['0x1', false]],
  ['eth_getBlockByNumber', ['latest', false]],
  ['eth_chainId', []],
];

function startLoad(): Promise<unknown> {
  const rpc = (offset: number) =>
    loop((i) => {
      const [method, params] = RPC_MIX[(i + offset) % RPC_MIX.length]!;
      return call(`/anvil/${prepaidKey}`, rpcBody(method, params));
    }, 10);
  const outage = async () => {
    await sleep(1_000);
    flaky.setFault({ kind: 'status', status: 503 });
    await sleep(4_000);
    flaky.setFault(SLOW_BLOCKS);
  };
  return Promise.all([
    outage(),
    rpc(0),
    rpc(2),
    loop(() => call(`/lonely/${prepaidKey}`, rpcBody('eth_getBalance', RPC_MIX[0]![1])), 20),
    // 429s from a plan allowing one request every two seconds; 401s from a key nobody issued.
    loop(
      (i) => call(i % 2 ? `/anvil/${throttledKey}` : '/anvil/tp_unknownkey0000', rpcBody('eth_chainId', [])),
      100,
    ),
    // WebSocket: calls on a socket with the key, and handshakes without one (refused upgrades).
    loop(async (i) => {
      const ws = await openSocket(`${base.replace('http', 'ws')}/anvil${i % 2 ? `/${prepaidKey}` : ''}`);
      await new Promise((resolve) => {
        ws.once('message', resolve);
        ws.send(JSON.stringify(rpcBody('eth_chainId', [])));
      });
      ws.close();
    }, 200),
    loop(
      (i) =>
        call(
          '/v1/transfers',
          // Every fifth request is invalid (no recipient): a refused relayer request.
          i % 5 === 4 ? { token: 'DEMO', amount: '1' } : { token: 'DEMO', to: randomAddress(), amount: '7' },
          { 'x-api-key': prepaidKey, 'idempotency-key': `live-${i}` },
        ),
      200,
    ),
  ]);
}

beforeAll(async () => {
  // A webhook receiver that takes every other delivery (delivered, and failed then retried).
  let deliveries = 0;
  webhooks = createServer((req, res) => {
    req.resume();
    res.statusCode = deliveries++ % 2 ? 500 : 200;
    res.end();
  });
  await new Promise<void>((resolve) => webhooks.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(webhooks.address() as AddressInfo).port}/hook`;
  relayer = await startRelayerFixture({
    dialect: 'sqlite',
    keys: 2,
    gateway: false,
    relayer: { webhook: { url: webhookUrl, secret: randomBytes(16).toString('hex'), retryBaseMs: 200 } },
    extra: { tenancy: { enabled: true, adminToken, usageFlushMs: 200, balanceRefreshMs: 200 } },
  });
  // The second upstream is slow for half of the block reads (hedges); once the load runs it also
  // fails everything for a few seconds (failures, retries, its breaker opening and closing).
  flaky = await startFaultProxy(relayer.anvil.url);
  flaky.setFault(SLOW_BLOCKS);
  gateway = createGateway({
    ...relayer.config,
    networks: {
      anvil: {
        upstreams: [
          { id: 'anvil', url: relayer.anvil.url },
          { id: 'flaky', url: flaky.url },
        ],
        cache: { finality: 'depth', depth: 2, headPollMs: 500 },
        failsafe: { hedge: { enabled: true, minDelayMs: 20 }, breaker: { openMs: 2_000 } },
      },
      // A network with the flaky node alone: during the outage every call fails on it, so its
      // breaker opens for sure (then half-opens and closes), and the network has no upstream.
      lonely: {
        upstreams: [{ id: 'flaky-alone', url: flaky.url }],
        failsafe: { breaker: { openMs: 2_000 } },
      },
    },
  });
  const listening = await gateway.listen(0, '127.0.0.1');
  base = listening.url;

  expect((await admin('/plans', { name: 'open' })).status).toBe(201);
  expect((await admin('/plans', { name: 'tight', rateLimit: { perSecond: 0.5, burst: 1 } })).status).toBe(
    201,
  );
  const prepaid = await admin('/projects', { name: 'prepaid', plan: 'open', credits: OPENING_CREDITS });
  expect(prepaid.status).toBe(201);
  prepaidProject = prepaid.body.id;
  expect((await admin('/projects', { name: 'throttled', plan: 'tight' })).status).toBe(201);
  prepaidKey = (await admin('/keys', { project: 'prepaid', name: 'main' })).body.secret;
  throttledKey = (await admin('/keys', { project: 'throttled', name: 'main' })).body.secret;

  prometheus = await startPrometheus({ targets: [`127.0.0.1:${listening.port}`], ruleFiles: [RULES_FILE] });
  load = startLoad();
}, 90_000);

afterAll(async () => {
  loading = false;
  await load;
  await prometheus?.stop();
  await gateway?.close(1_000);
  await flaky?.close();
  await new Promise((resolve) => webhooks?.close(resolve));
  await relayer?.close();
});

/** The expressions that return no series now. */
async function emptyPanels(): Promise<string[]> {
  const empty: string[] = [];
  for (const { where, expr } of panels) {
    const answer = await prometheus.query(expr);
    if (answer.result.length === 0) empty.push(`${where}: ${expr}`);
  }
  return empty;
}

it('every metric the dashboards and rules read is scraped, every rule parses, every panel has data', async () => {
  // Poll while the load runs: the first scrapes come within a second, rates need two, and
  // counters such as breaker transitions need their event first. Bounded by the deadline.
  const deadline = Date.now() + LOAD_DEADLINE_MS;
  let missing: string[] = referenced;
  let empty: string[] = panels.map(({ where }) => where);
  while (Date.now() < deadline) {
    const names = new Set(await prometheus.metricNames());
    missing = referenced.filter((name) => !names.has(name));
    if (missing.length === 0) {
      empty = await emptyPanels();
      if (empty.length === 0) break;
    }
    await sleep(1_000);
  }
  if (missing.length > 0) empty = await emptyPanels();

  const targets = await prometheus.targets();
  expect(
    targets.map((target) => target.health),
    JSON.stringify(targets),
  ).toEqual(['up']);
  expect(referenced.length).toBeGreaterThan(50);
  expect
    .soft(missing, 'metrics read by a panel or rule that Prometheus never scraped or recorded')
    .toEqual([]);
  expect(empty, 'panel expressions that return no series').toEqual([]);

  // Each rule's expression parses and runs here too (an alert's may rightly return nothing).
  for (const rule of rules)
    await expect(prometheus.query(rule.expr), rule.record ?? rule.alert).resolves.toBeDefined();

  // The credits gauge follows the prepaid project's spending.
  const credits = await prometheus.query(`turnpike_project_credits_left{project="${prepaidProject}"}`);
  expect(credits.result).toHaveLength(1);
  expect(Number(credits.result[0].value[1])).toBeLessThan(OPENING_CREDITS);
}, 70_000);
