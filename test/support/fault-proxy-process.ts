/**
 * A fault proxy (fault-proxy.ts) in a child process: `kill('SIGKILL')` takes its listener and
 * every connection away at once, the way a crashed node goes. Children are killed when the test
 * process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Fault } from './fault-proxy.js';

const ENTRY = fileURLToPath(new URL('./fault-proxy-child.ts', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface FaultProxyProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Sends `signal` (SIGKILL by default) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startFaultProxyProcess(
  target: string,
  fault?: Fault | readonly Fault[],
): Promise<FaultProxyProcess> {
  const args = ['--import', 'tsx', ENTRY, target];
  if (fault !== undefined) args.push(JSON.stringify(fault));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fault proxy did not start\n${stderr}`)), 20_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fault proxy exited with ${code}\n${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
