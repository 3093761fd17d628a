/**
 * `turnpike start` under node:cluster through the real binary, in front of a real anvil: /metrics
 * aggregated across workers over IPC, crashed workers replaced, and a SIGTERM that drains every
 * in-flight request before the primary exits 0, with requests in flight or arriving all along.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, Client, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import {
  type CliProcess,
  childPids,
  isAlive,
  isReaped,
  killAllCli,
  servingPid,
  startCli,
  waitFor,
} from './support/cli.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { getFreePort } from './support/free-port.js';
import { postJson, rpc } from './support/rpc.js';

const ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
/** 10 000 ETH, anvil's default balance of its dev accounts. */
const ACCOUNT_0_BALANCE = '0x21e19e0c9bab2400000';

// `server.workers: 1` in the file: the --workers 2 flag must override it.
const CONFIG = `
server:
  workers: 1
logging:
  level: warn
networks:
  eth:
    chainId: 31337
    upstreams:
      - id: anvil
        url: \${TP_CLUSTER_UPSTREAM}
`;

let dir: string;
let configPath: string;
let anvil: AnvilNode;
const proxies: FaultProxy[] = [];
const clients: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-cluster-'));
  configPath = join(dir, 'turnpike.yaml');
  await writeFile(configPath, CONFIG);
  anvil = await startAnvil();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  await killAllCli();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await stopAllAnvils();
  await rm(dir, { recursive: true, force: true });
});

interface RunningCluster {
  cli: CliProcess;
  origin: string;
  url: string;
  workers: number[];
}

async function startCluster(upstream: string, config = configPath): Promise<RunningCluster> {
  const port = await getFreePort();
  const cli = startCli(['start', '--config', config, '--workers', '2', '--port', String(port)], {
    TP_CLUSTER_UPSTREAM: upstream,
  });
  const origin = `http://127.0.0.1:${port}`;
  expect(await cli.waitForLine(/^ready /)).toBe(`ready ${origin}`);
  const workers = childPids(cli.pid);
  expect(workers).toHaveLength(2);
  return { cli, origin, url: `${origin}/eth`, workers };
}

/** `name{labels} value` lines of a Prometheus text body. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  const out: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) out.push({ labels: match[2] ?? '', value: Number(match[3]) });
  }
  return out;
}

async function scrape(origin: string): Promise<string> {
  const res = await request(`${origin}/metrics`, { reset: true });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.body.text();
}

/** How one request of a load loop ended. */
type LoadOutcome =
  | { kind: 'answered'; id: number; afterSignal: boolean; status: number; body: unknown; connection: unknown }
  /** No response arrived: the error is the client's, e.g. ECONNREFUSED. */
  | { kind: 'not-answered'; id: number; code: string }
  /** A response began and then broke off. */
  | { kind: 'cut'; id: number; code: string };

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code ?? String(err);
}

/** One request on a brand-new connection, so the primary hands it to a worker of its choice. */
async function freshRpc(url: string, method: string, params: unknown[] = []) {
  const response = await rpc(url, method, params, { headers: { connection: 'close' }, timeoutMs: 10_000 });
  return { ...response, pid: servingPid(response.headers['x-request-id']) };
}

describe('turnpike start --workers 2', () => {
  it('aggregates /metrics across both workers', async () => {
    const cluster = await startCluster(anvil.url);
    const connections = 8;
    const perConnection = 10;
    const servedBy = new Set<number>();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        const client = new Client(cluster.origin, { pipelining: 1 });
        clients.push(client);
        for (let i = 0; i < perConnection; i++) {
          const res = await rpc(cluster.url, 'eth_blockNumber', [], { dispatcher: client, id: i });
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ id: i, result: expect.stringMatching(/^0x[0-9a-f]+$/) });
          servedBy.add(servingPid(res.headers['x-request-id']));
        }
      }),
    );
    // Both workers answered part of the traffic, so a correct total proves the aggregation.
    expect([...servedBy].sort()).toEqual([...cluster.workers].sort());

    const text = await scrape(cluster.origin);
    const requests = samples(text, 'turnpike_requests_total').filter((s) =>
      s.labels.includes('network="eth"'),
    );
    expect(requests.reduce((sum, s) => sum + s.value, 0)).toBe(connections * perConnection);
    const ok = requests.find(
      (s) => s.labels.includes('method="eth_blockNumber"') && s.labels.includes('status="ok"'),
    );
    expect(ok?.value).toBe(connections * perConnection);

    const loop = samples(text, 'turnpike_event_loop_utilization').map((s) => s.labels);
    expect(loop).toContain('{worker="0"}');
    expect(loop).toContain('{worker="1"}');
    // Per-upstream state is per worker: merged (min/max), not summed into nonsense.
    const available = samples(text, 'turnpike_upstream_available');
    expect(available).toEqual([{ labels: '{network="eth",upstream="anvil"}', value: 1 }]);
    // Default Node metrics of every worker are there too.
    expect(samples(text, 'process_cpu_user_seconds_total').length).toBeGreaterThan(0);

    cluster.cli.child.kill('SIGTERM');
    expect((await cluster.cli.exited).code).toBe(0);
  });

  it('replaces a crashed worker and keeps serving', async () => {
    const cluster = await startCluster(anvil.url);
    const [victim, survivor] = cluster.workers as [number, number];
    process.kill(victim, 'SIGKILL');
    // Wait until the primary has seen the death: it reaped the process and logged the crash. Node's
    // round-robin balancer would hand a connection that arrives before that to the dead worker,
    // where it hangs (see docs/operations.md).
    await waitFor('the primary to reap the dead worker', () =>
      isReaped(victim) && /"msg":"worker \d exited; replacing it"/.test(cluster.cli.stdout())
        ? true
        : undefined,
    );

    // … and meanwhile the survivor answers every request on new connections.
    for (let i = 0; i < 10; i++) {
      const res = await freshRpc(cluster.url, 'eth_blockNumber');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ result: expect.stringMatching(/^0x[0-9a-f]+$/) });
    }

    const replacement = await waitFor('a replacement worker', () => {
      const children = childPids(cluster.cli.pid);
      return children.length === 2 && children.includes(survivor)
        ? children.find((pid) => pid !== survivor)
        : undefined;
    });
    expect(replacement).not.toBe(victim);
    expect(isAlive(survivor)).toBe(true);

    // The replacement takes traffic once it listens; every answer on the way is a success.
    await waitFor('the replacement to answer', async () => {
      const res = await freshRpc(cluster.url, 'eth_chainId');
      expect(res.body).toMatchObject({ result: '0x7a69' });
      return res.pid === replacement ? true : undefined;
    });
    const loop = samples(await scrape(cluster.origin), 'turnpike_event_loop_utilization').map(
      (s) => s.labels,
    );
    expect(loop.sort()).toEqual(['{worker="0"}', '{worker="1"}']);

    cluster.cli.child.kill('SIGTERM');
    expect((await cluster.cli.exited).code).toBe(0);
    expect(isAlive(survivor)).toBe(false);
    expect(isAlive(replacement)).toBe(false);
  });

  it('drains on SIGTERM: every in-flight request succeeds and the primary exits 0', async () => {
    const proxy = await startFaultProxy(anvil.url);
    proxies.push(proxy);
    // Slow only the requests under test; health probes and the chain id check pass straight through.
    proxy.setFault({ kind: 'latency', ms: 1500, methods: ['eth_getBalance'] });
    const cluster = await startCluster(proxy.url);
    const agent = new Agent({ connections: null });
    clients.push(agent);

    const total = 50;
    const responses = Promise.all(
      Array.from({ length: total }, (_, id) =>
        postJson(
          cluster.url,
          { jsonrpc: '2.0', id, method: 'eth_getBalance', params: [ACCOUNT_0, 'latest'] },
          { dispatcher: agent },
        ),
      ),
    );
    // Every request has reached the upstream (so it is in flight in a worker) before the signal.
    await waitFor('all requests to reach the upstream', () =>
      proxy.stats.byMethod.get('eth_getBalance') === total ? true : undefined,
    );
    cluster.cli.child.kill('SIGTERM');

    const answered = await responses;
    const exit = await cluster.cli.exited;
    answered.forEach((res, id) => {
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ jsonrpc: '2.0', id, result: ACCOUNT_0_BALANCE });
    });
    // Both workers were draining, and said so: responses sent while draining close the connection.
    const servedBy = new Set(answered.map((res) => servingPid(res.headers['x-request-id'])));
    expect([...servedBy].sort()).toEqual([...cluster.workers].sort());
    expect(answered.some((res) => res.headers.connection === 'close')).toBe(true);
    expect(exit).toEqual({ code: 0, signal: null });
    for (const pid of cluster.workers) expect(isAlive(pid), `worker ${pid} still running`).toBe(false);
    expect(proxy.stats.byMethod.get('eth_getBalance')).toBe(total);
  });

  it('drains on SIGTERM under continuous load: answers are successes, the rest never got in', async () => {
    const proxy = await startFaultProxy(anvil.url);
    proxies.push(proxy);
    // Each request lingers a little at the upstream, so the signal finds requests in flight
    // (and, between requests, idle keep-alive connections the drain closes under the client).
    proxy.setFault({ kind: 'latency', ms: 20, methods: ['eth_getBalance'] });
    const cluster = await startCluster(proxy.url);
    const agent = new Agent({ connections: null });
    clients.push(agent);

    let signalled = false;
    let exited = false;
    let nextId = 0;
    const outcomes: LoadOutcome[] = [];
    const send = async (id: number): Promise<LoadOutcome> => {
      const payload = { jsonrpc: '2.0', id, method: 'eth_getBalance', params: [ACCOUNT_0, 'latest'] };
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(cluster.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          dispatcher: agent,
        });
      } catch (err) {
        return { kind: 'not-answered', id, code: errorCode(err) };
      }
      let text: string;
      try {
        text = await res.body.text();
      } catch (err) {
        return { kind: 'cut', id, code: errorCode(err) };
      }
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: kept as text, which fails the success check below.
      }
      const { statusCode: status, headers } = res;
      return { kind: 'answered', id, afterSignal: signalled, status, body, connection: headers.connection };
    };
    // Closed loop: each loop sends its next request as soon as the previous one ends, until the
    // primary is gone (pausing briefly after a failure, as a client would, to not spin on refusals).
    const loops = Array.from({ length: 16 }, async () => {
      while (!exited) {
        const outcome = await send(nextId++);
        outcomes.push(outcome);
        if (outcome.kind !== 'answered') await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });

    await waitFor('the load to get going', () => (outcomes.length >= 100 ? true : undefined));
    signalled = true;
    cluster.cli.child.kill('SIGTERM');
    const exit = await cluster.cli.exited;
    exited = true;
    await Promise.all(loops);

    expect(exit).toEqual({ code: 0, signal: null });
    for (const pid of cluster.workers) expect(isAlive(pid), `worker ${pid} still running`).toBe(false);
    // Every response that arrived is a success: no 5xx, no JSON-RPC error, none broken off.
    const answered = outcomes.filter((outcome) => outcome.kind === 'answered');
    for (const { id, status, body } of answered) {
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toEqual({ jsonrpc: '2.0', id, result: ACCOUNT_0_BALANCE });
    }
    expect(outcomes.filter((outcome) => outcome.kind === 'cut')).toEqual([]);
    // The rest failed at connection level: refused, or their connection closed before any answer.
    const failed = outcomes.filter((outcome) => outcome.kind === 'not-answered');
    for (const { code } of failed) expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(code);
    // … and never reached the upstream: every request the gateway forwarded got its answer back.
    expect(proxy.stats.byMethod.get('eth_getBalance')).toBe(answered.length);
    // The load ran across the whole drain: requests in flight at the signal were answered (while
    // draining, with Connection: close), and later ones were turned away.
    const afterSignal = answered.filter((outcome) => outcome.afterSignal);
    expect(afterSignal.length).toBeGreaterThan(0);
    expect(afterSignal.some((outcome) => outcome.connection === 'close')).toBe(true);
    expect(failed.length).toBeGreaterThan(0);
  });

  it('fails the start (exit 1) instead of restarting workers forever when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const cli = startCli(['start', '--config', configPath, '--workers', '2', '--port', String(port)], {
        TP_CLUSTER_UPSTREAM: anvil.url,
      });
      const exit = await cli.exited;
      expect(exit.code).toBe(1);
      expect(cli.stderr()).toContain('EADDRINUSE');
      expect(cli.stderr()).toMatch(/worker \d exited \(code 1\) before the gateway was ready/);
      expect(cli.stdout()).not.toContain('ready');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
  it('probes idle upstreams from one worker only and shares what it learns with the other', async () => {
    const probed = join(dir, 'probed.yaml');
    await writeFile(
      probed,
      CONFIG.replace('    chainId: 31337', '    chainId: 31337\n    health: { probeIntervalMs: 200 }'),
    );
    const proxy = await startFaultProxy(anvil.url);
    proxies.push(proxy);
    const cluster = await startCluster(proxy.url, probed);

    // Idle for 3 s: one prober makes about 15 probes, one per worker would make about 30.
    proxy.resetStats();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const probes = proxy.stats.byMethod.get('eth_blockNumber') ?? 0;
    expect(probes).toBeGreaterThanOrEqual(3);
    expect(probes).toBeLessThanOrEqual(20);

    // New blocks reach the non-probing worker too, though it sent nothing upstream itself.
    await rpc(anvil.url, 'anvil_mine', ['0x7']);
    const { body } = await rpc(anvil.url, 'eth_blockNumber');
    const head = Number.parseInt(String((body as { result: string }).result), 16);
    const seen = new Map<number, number>();
    for (let i = 0; i < 200 && (seen.size < 2 || [...seen.values()].some((h) => h < head)); i++) {
      const res = await request(`${cluster.origin}/readyz`, { reset: true });
      const detail = (await res.body.json()) as {
        networks: { eth: { upstreams: { head: number }[] } };
      };
      seen.set(servingPid(res.headers['x-request-id']), detail.networks.eth.upstreams[0]!.head);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect([...seen.keys()].sort()).toEqual([...cluster.workers].sort());
    for (const [pid, workerHead] of seen) expect(workerHead, `head seen by worker ${pid}`).toBe(head);
  });

  it('tells every worker that a killed upstream is down, with no traffic at all, and that it came back', async () => {
    // A node of its own, to kill; the gateway's defaults otherwise (probeIntervalMs 5 s, openMs 5 s).
    const node = await startAnvil();
    const cluster = await startCluster(node.url);
    const view = new Map<number, { available: boolean; ready: number }>();
    /** One /readyz on a new connection: whichever worker accepts it answers with its own view. */
    const look = async () => {
      const res = await request(`${cluster.origin}/readyz`, { reset: true });
      const detail = (await res.body.json()) as {
        networks: { eth: { upstreams: { available: boolean }[] } };
      };
      const pid = servingPid(res.headers['x-request-id']);
      view.set(pid, { available: detail.networks.eth.upstreams[0]!.available, ready: res.statusCode });
    };
    /** Polls until every worker has answered and `wanted(view)`; resolves with the time it took. */
    const until = async (what: string, wanted: (available: boolean) => boolean, since: number) => {
      const seenAt = new Map<number, number>();
      await waitFor(
        what,
        async () => {
          await look();
          for (const [pid, state] of view) {
            if (!wanted(state.available)) seenAt.delete(pid);
            else if (!seenAt.has(pid)) seenAt.set(pid, performance.now());
          }
          return cluster.workers.every((pid) => seenAt.has(pid)) ? true : undefined;
        },
        // 15 s at most: the goal is 3 s, measured and printed below, not asserted.
        300,
        50,
      );
      return Math.max(...seenAt.values()) - since;
    };
    await until('both workers to see the upstream up', (available) => available, performance.now());

    node.kill('SIGKILL');
    await node.exited;
    const killedAt = performance.now();
    const downMs = await until('every worker to see the killed upstream down', (up) => !up, killedAt);
    for (const pid of cluster.workers)
      expect(view.get(pid), `worker ${pid}`).toEqual({ available: false, ready: 503 });
    console.log(`every worker saw the killed upstream down ${Math.round(downMs)} ms after the kill`);

    // Metrics and logs say why: the probes were refused.
    const text = await scrape(cluster.origin);
    expect(samples(text, 'turnpike_upstream_available')).toEqual([
      { labels: '{network="eth",upstream="anvil"}', value: 0 },
    ]);
    const refusedProbes = async () =>
      samples(await scrape(cluster.origin), 'turnpike_upstream_failures_total').find(
        (s) => s.labels === '{network="eth",upstream="anvil",source="probe",reason="refused"}',
      )?.value ?? 0;
    // The workers' counts reach the primary's scrape a moment after they saw the upstream down.
    await waitFor(
      'two refused probes counted',
      async () => ((await refusedProbes()) >= 2 ? true : undefined),
      300,
      50,
    );
    expect(await refusedProbes()).toBeGreaterThanOrEqual(2);
    const opened = cluster.cli
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"msg":"breaker opened for upstream anvil'))
      .map((line) => JSON.parse(line) as { reason?: string; shared?: boolean });
    expect(opened).toContainEqual(expect.objectContaining({ reason: 'refused' }));
    expect(opened).toContainEqual(expect.objectContaining({ reason: 'refused', shared: true }));

    // The node comes back on the same port: the prober's trials readmit it, and tell the other.
    const revived = await startAnvil({ port: node.port });
    const revivedAt = performance.now();
    const upMs = await until('every worker to see the upstream back', (available) => available, revivedAt);
    console.log(`every worker saw the upstream back ${Math.round(upMs)} ms after it listened again`);
    // … and it stays so: no worker flaps back to down.
    for (let i = 0; i < 10; i++) {
      await look();
      for (const pid of cluster.workers)
        expect(view.get(pid), `worker ${pid}`).toEqual({ available: true, ready: 200 });
    }
    await revived.stop();
  });
});
