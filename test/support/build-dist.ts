/**
 * vitest globalSetup: the CLI tests run `node bin/turnpike.js`, which loads the compiled dist/.
 * Rebuild once per run, and only when a source file is newer than the build output.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUT = join(ROOT, 'dist', 'index.js');
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export function distIsStale(): boolean {
  if (!existsSync(OUTPUT) || !existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) return true;
  let newest = newestSource(join(ROOT, 'src'));
  for (const file of INPUTS) newest = Math.max(newest, statSync(join(ROOT, file)).mtimeMs);
  return newest > statSync(OUTPUT).mtimeMs;
}

export default async function setup(): Promise<void> {
  try {
    if (!distIsStale()) return;
    await compile();
  } finally {
    // Static files tsc does not emit (package.json's build copies them the same way).
    if (existsSync(OUTPUT))
      cpSync(join(ROOT, 'src', 'dashboard', 'assets'), join(ROOT, 'dist', 'dashboard', 'assets'), {
        recursive: true,
      });
  }
}

async function compile(): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT });
  } catch (err) {
    // tsc still emits on type errors; the CLI tests then fail on their own if dist is unusable.
    const output = (err as { stdout?: string }).stdout ?? String(err);
    process.stderr.write(`[build-dist] tsc reported errors; testing what it emitted:\n${output}\n`);
    if (!existsSync(OUTPUT)) throw err;
  }
}
