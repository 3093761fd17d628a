/**
 * A throwaway Redis Cluster for tests: N `redis-server` masters (no replicas) on free loopback
 * ports, joined with `redis-cli --cluster create`, in a temp dir removed by `stop()`.
 * Every wait is bounded; if setup fails, whatever was started is killed before the error.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './free-port.js';

export interface RedisClusterOptions {
  /** Masters, each owning a share of the 16384 slots. @default 3 */
  nodes?: number;
  /** `cluster-node-timeout`: how long a dead master goes unnoticed by the others. @default 15000 */
  nodeTimeoutMs?: number;
  /** Bound on each setup phase (start, create, converge). @default 20000 */
  timeoutMs?: number;
}

export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…`, for `connectRedis`. */
  url: string;
  ports: number[];
  /** SIGKILLs one node (a crash, not a shutdown); `stop()` still cleans up the rest. */
  kill(port: number): Promise<void>;
  /** Kills every node and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** Redis Cluster's bus listens on the client port + 10000. */
const BUS_OFFSET = 10_000;
const MAX_PORT = 65_535 - BUS_OFFSET;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `redis-cli` against one node; rejects on a non-zero exit or after `timeoutMs`. */
export function redisCli(port: number, args: string[], timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['-h', HOST, '-p', String(port), ...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`redis-cli -p ${port} ${args.join(' ')}: ${stderr || stdout || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (+10000) is free too, and not one already taken here. */
async function pickPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await getFreePort(HOST);
    if (port > MAX_PORT || taken.has(port) || taken.has(port + BUS_OFFSET) || taken.has(port - BUS_OFFSET))
      continue;
    if (await portIsFree(port + BUS_OFFSET)) return port;
  }
  throw new Error(`no free port p <= ${MAX_PORT} with p+${BUS_OFFSET} free`);
}

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  const detail = last instanceof Error ? `: ${last.message}` : '';
  throw new Error(`Redis Cluster: ${what} not reached within ${timeoutMs} ms${detail}`);
}

interface Node {
  port: number;
  child: ChildProcess;
  output: string[];
}

/** Every live cluster child, so a worker that exits abruptly still leaves no redis-server behind. */
const everyChild = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  everyChild.add(child);
  child.once('exit', () => everyChild.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const leftover of everyChild) leftover.kill('SIGKILL');
  });
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function killChild(child: ChildProcess): Promise<void> {
  if (!running(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(5_000)]);
}

function startNode(port: number, dir: string, nodeTimeoutMs: number): Node {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  track(child);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => output.push(String(err)));
  return { port, child, output };
}

/** Starts one node and waits for PING; a node that dies at once (port raced away) is retried on another port. */
async function startReadyNode(taken: Set<number>, dir: string, nodeTimeoutMs: number, timeoutMs: number) {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await pickPort(taken);
    const node = startNode(port, dir, nodeTimeoutMs);
    try {
      await waitUntil(`PING on ${port}`, timeoutMs, async () => {
        if (!running(node.child)) throw new Error(`redis-server exited: ${node.output.join('').trim()}`);
        return (await redisCli(port, ['ping'], 1_000)).trim() === 'PONG';
      });
      taken.add(port);
      taken.add(port + BUS_OFFSET);
      return node;
    } catch (err) {
      lastError = err;
      await killChild(node.child);
    }
  }
  throw lastError;
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const count = options.nodes ?? 3;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 15_000;
  if (count < 3) throw new Error('redis-cli --cluster create needs at least 3 masters');
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-redis-cluster-'));
  const nodes: Node[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await Promise.all(nodes.map((node) => killChild(node.child)));
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const taken = new Set<number>();
    // One at a time: each pick must see the ports the previous nodes already hold.
    for (let i = 0; i < count; i++) nodes.push(await startReadyNode(taken, dir, nodeTimeoutMs, timeoutMs));
    const ports = nodes.map((node) => node.port);
    const [first] = ports;
    if (first === undefined) throw new Error('no nodes');
    await redisCli(
      first,
      [
        '--cluster',
        'create',
        ...ports.map((port) => `${HOST}:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      timeoutMs,
    );
    for (const port of ports) {
      await waitUntil(`cluster_state:ok on ${port}`, timeoutMs, async () => {
        const info = await redisCli(port, ['cluster', 'info'], 1_000);
        return /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${count}\\b`).test(info);
      });
    }
    return {
      url: `redis+cluster://${ports.map((port) => `${HOST}:${port}`).join(',')}`,
      ports,
      kill: async (port) => {
        const node = nodes.find((candidate) => candidate.port === port);
        if (node === undefined) throw new Error(`no cluster node on port ${port}`);
        await killChild(node.child);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
