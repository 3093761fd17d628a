// Every child process and temp dir a benchmark creates is registered here, so one cleanup()
// (also run on SIGINT/SIGTERM and on crashes) leaves nothing behind.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set();
const tempDirs = new Set();
/** Set once cleanup has started: nothing new may start (the main flow may still be running). */
let closing = false;

/** Throws once cleanup has started. */
export function assertOpen(what) {
  if (closing) throw new Error(`shutting down: not starting ${what}`);
}

/** Creates a temp dir removed by cleanup(). */
export async function makeTempDir(prefix = 'turnpike-bench-') {
  assertOpen('a temp dir');
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (closing) {
    await rm(dir, { recursive: true, force: true });
    assertOpen('a temp dir');
  }
  tempDirs.add(dir);
  return dir;
}

/**
 * Starts a child in its own process group (so stopping it also stops cluster/nginx workers)
 * and resolves once `ready` matches a line of its stdout or stderr.
 */
export function startChild(name, command, args, { ready, env, timeoutMs = 15_000, cwd, onLine: watch } = {}) {
  assertOpen(name);
  const proc = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const child = { name, proc, pid: proc.pid, tail: [], exited: false, exitCode: null, match: null };
  children.add(child);
  /** Resolves with the exit code (or signal name) once the child has exited. */
  child.exit = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));

  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      fail(new Error(`${name} not ready within ${timeoutMs} ms`));
    }, timeoutMs);

    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const output = child.tail.join('\n');
      stopChild(child).finally(() =>
        reject(new Error(`${err.message}${output ? `\n--- ${name} output ---\n${output}` : ''}`)),
      );
    };

    const onLine = (line) => {
      watch?.(line);
      // Keep the last lines so a failure can show why; drained always, so a chatty child never blocks.
      child.tail.push(line);
      if (child.tail.length > 40) child.tail.shift();
      if (!settled && ready) {
        const match = ready.exec(line);
        if (match) {
          settled = true;
          clearTimeout(timer);
          child.match = match;
          resolve(child);
        }
      }
    };
    lines(proc.stdout, onLine);
    lines(proc.stderr, onLine);

    proc.once('error', fail);
    proc.once('exit', (code, signal) => {
      child.exited = true;
      child.exitCode = code ?? signal;
      children.delete(child);
      fail(new Error(`${name} exited early (${code ?? signal})`));
    });
    if (!ready) {
      settled = true;
      clearTimeout(timer);
      resolve(child);
    }
  });
}

function lines(stream, onLine) {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buffer += chunk;
    let index = buffer.indexOf('\n');
    while (index !== -1) {
      onLine(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf('\n');
    }
  });
}

/** SIGTERM to the child's process group, SIGKILL after `graceMs`. */
export function stopChild(child, graceMs = 5_000) {
  if (child.exited || child.proc.exitCode !== null || child.proc.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    child.proc.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      // Workers may outlive a primary that exits first; sweep the group.
      signalGroup(child, 'SIGKILL');
      resolve();
    });
    signalGroup(child, 'SIGTERM');
  });
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Group already gone.
  }
}

let cleaning = null;

/** Stops every child and removes every temp dir. Concurrent and repeated calls share one run. */
export function cleanup() {
  closing = true;
  cleaning ??= stopEverything();
  return cleaning;
}

async function stopEverything() {
  while (children.size > 0 || tempDirs.size > 0) {
    await Promise.all([...children].map((child) => stopChild(child)));
    await Promise.all(
      [...tempDirs].map(async (dir) => {
        tempDirs.delete(dir);
        // Retries cover a file being written into the dir while it is removed (ENOTEMPTY).
        await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      }),
    );
  }
}

function cleanupAndExit(code) {
  cleanup()
    .catch((err) => process.stderr.write(`cleanup failed: ${err.message}\n`))
    .finally(() => process.exit(code));
}

/**
 * Cleans up on Ctrl-C / SIGTERM (children are detached, so they do not get the terminal's
 * signal) and on a crash anywhere, so no nginx or Turnpike outlives the benchmark.
 */
export function cleanupOnSignals() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping children...\n`);
      cleanupAndExit(130);
    });
  }
  for (const event of ['uncaughtException', 'unhandledRejection']) {
    process.once(event, (err) => {
      process.stderr.write(`\n${event}: ${err?.stack ?? err}\nstopping children...\n`);
      cleanupAndExit(1);
    });
  }
}

/** Runs a benchmark's `main()` (resolving to an exit code) with cleanup on every way out. */
export function runBenchmark(main) {
  cleanupOnSignals();
  main()
    .then(async (code) => {
      await cleanup();
      process.exitCode = code;
    })
    .catch(async (err) => {
      console.error(err);
      await cleanup();
      process.exitCode = 1;
    });
}
