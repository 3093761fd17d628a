/**
 * Runs the real `turnpike` binary (`node bin/turnpike.js`, built into dist/ by the globalSetup) as a
 * child process, and inspects the processes it starts through /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/turnpike.js', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<CliProcess>();

export interface CliLocation {
  /** The launcher to run (an installed package's bin/turnpike.js). @default this repository's */
  bin?: string;
  /** @default the repository root */
  cwd?: string;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, where: CliLocation = {}): CliProcess {
  // A process group of its own, so cleanup can reach grandchildren (anvil, workers) of a failed test.
  const child = spawn(process.execPath, [where.bin ?? BIN, ...args], {
    cwd: where.cwd ?? ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  const lineWaiters = new Set<() => void>();
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    for (const wake of lineWaiters) wake();
  });
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      started.delete(cli);
      for (const wake of lineWaiters) wake();
      resolve({ code, signal });
    });
  });
  const cli: CliProcess = {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((candidate) => pattern.test(candidate));
          if (line !== undefined) {
            lineWaiters.delete(check);
            resolve(line);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            lineWaiters.delete(check);
            reject(
              new Error(
                `turnpike ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`,
              ),
            );
          }
        };
        lineWaiters.add(check);
        check();
      });
    },
  };
  started.add(cli);
  return cli;
}

/** Runs the CLI to completion. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  where: CliLocation = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args, env, where);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** Kills every CLI process group still running (use in afterEach). */
export async function killAllCli(): Promise<void> {
  await Promise.all(
    [...started].map(async (cli) => {
      const descendants = descendantPids(cli.pid);
      try {
        process.kill(-cli.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      for (const pid of descendants) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await cli.exited;
    }),
  );
}

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
}

function readStat(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may contain spaces; the fields after it are fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]) };
}

/** Live (non-zombie) child pids of `pid`. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (info !== undefined && info.ppid === pid && info.state !== 'Z') children.push(info.pid);
  }
  return children;
}

function descendantPids(pid: number): number[] {
  const out: number[] = [];
  for (const child of childPids(pid)) out.push(child, ...descendantPids(child));
  return out;
}

/** True once the process has exited and its parent has reaped it (no /proc entry, not even a zombie). */
export function isReaped(pid: number): boolean {
  return readStat(pid) === undefined;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const info = readStat(pid);
  return info !== undefined && info.state !== 'Z';
}

export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or gives up. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  attempts = 300,
  intervalMs = 50,
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Resolves true when something accepts TCP connections on the port. */
export function portIsOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The pid that served a response, from the gateway's `X-Request-Id` prefix (pid in base 36). */
export function servingPid(requestId: unknown): number {
  if (typeof requestId !== 'string') return -1;
  return Number.parseInt(requestId.split('-')[0] ?? '', 36);
}
