/**
 * Locates the anvil executable. We spawn the native binary directly (not the npm bin.mjs wrapper) so the
 * pid we hold is anvil itself and SIGKILL really kills it.
 *
 * @foundry-rs/anvil brings the binary in its platform package, an optional dependency; when that
 * was left out (`--omit=optional`, another platform's lock file), its postinstall script downloads
 * the binary into the wrapper package instead — if npm ran the script (it needs approval).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { InstallIncompleteError } from '../errors/install-incomplete.js';

export interface AnvilCommand {
  /** Executable to spawn. */
  command: string;
  source: 'platform-package' | 'postinstall-download' | 'path';
}

const ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };
const EXE = process.platform === 'win32' ? 'anvil.exe' : 'anvil';

/** Tries each candidate `require` in turn; anvil's own require finds nested (pnpm-style) installs. */
function resolveFrom(specifier: string): string | undefined {
  const local = createRequire(import.meta.url);
  const requires = [local];
  try {
    requires.push(createRequire(local.resolve('@foundry-rs/anvil/package.json')));
  } catch {
    // wrapper package not installed; only the local lookup remains
  }
  for (const req of requires) {
    try {
      return req.resolve(specifier);
    } catch {
      // try the next resolver
    }
  }
  return undefined;
}

function platformBinary(): string | undefined {
  const arch = ARCH[process.arch];
  if (arch === undefined) return undefined;
  const pkgJson = resolveFrom(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  if (pkgJson === undefined) return undefined;
  const bin = join(dirname(pkgJson), 'bin', EXE);
  return existsSync(bin) ? bin : undefined;
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, EXE);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The binary @foundry-rs/anvil's postinstall script downloaded (it writes it beside bin.mjs; bin.mjs looks in ../dist). */
function downloadedBinary(): string | undefined {
  const wrapper = resolveFrom('@foundry-rs/anvil/package.json');
  if (wrapper === undefined) return undefined;
  const dir = dirname(wrapper);
  return [join(dir, EXE), join(dir, '..', 'dist', EXE)].find((candidate) => existsSync(candidate));
}

function platformPackageName(): string {
  return `@foundry-rs/anvil-${process.platform}-${ARCH[process.arch] ?? process.arch}`;
}

function findAnvil(): AnvilCommand | undefined {
  const bin = platformBinary();
  if (bin !== undefined) return { command: bin, source: 'platform-package' };
  const downloaded = downloadedBinary();
  if (downloaded !== undefined) return { command: downloaded, source: 'postinstall-download' };
  const path = onPath();
  if (path !== undefined) return { command: path, source: 'path' };
  return undefined;
}

/** Throws InstallIncompleteError when there is no anvil binary to run. */
export function resolveAnvilCommand(): AnvilCommand {
  const found = findAnvil();
  if (found === undefined) throw new InstallIncompleteError([anvilMissing()]);
  return found;
}

/** Why there is no anvil binary to run, or undefined when there is one. */
export function anvilProblem(): string | undefined {
  return findAnvil() === undefined ? anvilMissing() : undefined;
}

function anvilMissing(): string {
  return (
    `no anvil binary: neither ${platformPackageName()} (an optional dependency of @foundry-rs/anvil) ` +
    "nor the copy @foundry-rs/anvil's postinstall script downloads is installed, and anvil is not on PATH"
  );
}
