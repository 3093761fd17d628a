/**
 * Starts and stops local anvil nodes on loopback, for tests and `turnpike dev`. Children are tracked and
 * killed when this process exits, so a crashed or forgetful test run does not leave nodes behind.
 *
 * We do not pass `--quiet`: its "Listening on" line is the only proof that *this* process bound the port
 * (a probe alone could be answered by another node that grabbed it first). Once ready we turn request
 * logging off over RPC (`anvil_setLoggingEnabled`) so stdout does not flood.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolveAnvilCommand } from './anvil-binary.js';
import { getFreePort } from './free-port.js';

export interface AnvilOptions {
  /** Listening port; a free one is chosen (and retried on EADDRINUSE) when omitted. */
  port?: number;
  /** @default 31337 */
  chainId?: number;
  /** Seconds between blocks (interval mining). */
  blockTime?: number;
  /** Disable auto and interval mining (`--no-mining`). */
  noMining?: boolean;
  extraArgs?: string[];
  /** @default '127.0.0.1' */
  host?: string;
  /** Total time to wait for `eth_chainId` to answer. @default 15000 */
  startTimeoutMs?: number;
}

export interface AnvilNode {
  url: string;
  port: number;
  pid: number;
  chainId: number;
  /** SIGTERM, then SIGKILL after 2 s; resolves once the process has exited. */
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

const STDERR_TAIL_BYTES = 4096;
const STOP_GRACE_MS = 2000;
const PORT_ATTEMPTS = 5;
const running = new Set<ChildProcess>();

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  const host = options.host ?? '127.0.0.1';
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await getFreePort(host));
    try {
      return await launch(options, host, port);
    } catch (err) {
      // Another process may grab the port between getFreePort() and anvil's bind.
      if (attempt < attempts && err instanceof AnvilStartError && err.addressInUse) continue;
      throw err;
    }
  }
}

/** Stops every node started by this process. */
export async function stopAllAnvils(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child, waitExit(child))));
}

class AnvilStartError extends Error {
  readonly addressInUse: boolean;
  constructor(message: string, stderr: string) {
    super(stderr === '' ? message : `${message}\n--- anvil stderr (tail) ---\n${stderr}`);
    this.name = 'AnvilStartError';
    this.addressInUse = /address already in use/i.test(stderr);
  }
}

async function launch(options: AnvilOptions, host: string, port: number): Promise<AnvilNode> {
  const { command } = resolveAnvilCommand();
  const chainId = options.chainId ?? 31337;
  const args = ['--host', host, '--port', String(port), '--chain-id', String(chainId)];
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.noMining === true) args.push('--no-mining');
  if (options.extraArgs !== undefined) args.push(...options.extraArgs);

  // With a user-supplied --quiet there is no "Listening on" line to wait for; rely on the probe alone.
  const quiet = args.includes('--quiet') || args.includes('-q');
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  installExitHook();
  running.add(child);
  let stderr = '';
  // Keep draining stderr for the node's whole life (a full pipe would block anvil); remember only the tail.
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
  });
  let listening = quiet;
  let stdoutTail = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    if (listening) return; // drained and dropped
    stdoutTail = (stdoutTail + chunk).slice(-STDERR_TAIL_BYTES);
    listening = stdoutTail.includes('Listening on ');
  });
  let spawnError: Error | undefined;
  const exited = waitExit(child, (err) => {
    spawnError = err;
  });
  void exited.then(() => running.delete(child));
  // Unref so a forgotten node does not keep the event loop (and a test worker) alive; the exit hook kills it.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();

  const url = `http://${urlHost(host)}:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  let reported: number | undefined;
  while (!dead && Date.now() < deadline) {
    if (listening) {
      reported = await probeChainId(url);
      if (reported !== undefined) break;
    }
    await Promise.race([sleep(50), exited]);
  }
  if (reported === undefined) {
    const why = spawnError
      ? `anvil failed to spawn (${command}): ${spawnError.message}`
      : dead
        ? `anvil exited during start (port ${port}, code ${String(child.exitCode)})`
        : `anvil did not answer eth_chainId at ${url} within ${options.startTimeoutMs ?? 15_000} ms`;
    child.kill('SIGKILL');
    await exited;
    throw new AnvilStartError(why, stderr.trim());
  }
  if (!quiet) await rpc(url, 'anvil_setLoggingEnabled', [false]);

  return {
    url,
    port,
    pid: child.pid ?? -1,
    chainId: reported,
    stop: () => stopChild(child, exited),
    kill: (signal: NodeJS.Signals = 'SIGKILL') => {
      child.kill(signal);
    },
    exited,
  };
}

function waitExit(child: ChildProcess, onError?: (err: Error) => void): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      onError?.(err);
      // A spawn failure emits 'error' without 'exit'.
      if (child.pid === undefined) resolve(null);
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  running.delete(child);
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(1000),
  });
  const body = (await res.json()) as { result?: unknown };
  return body.result;
}

async function probeChainId(url: string): Promise<number | undefined> {
  try {
    const result = await rpc(url, 'eth_chainId', []);
    return typeof result === 'string' ? Number.parseInt(result, 16) : undefined;
  } catch {
    return undefined;
  }
}

let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const child of running) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      killAll();
      // Only re-raise when nobody else handles the signal, to keep Node's default "die on signal".
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
