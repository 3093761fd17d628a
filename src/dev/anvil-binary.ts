/**
 * Locates the anvil executable. We spawn the native binary directly (not the npm bin.mjs wrapper) so the
 * pid we hold is anvil itself and SIGKILL really kills it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

export interface AnvilCommand {
  /** Executable to spawn. */
  command: string;
  /** Arguments that go before anvil's own (the wrapper script path when using node). */
  prefixArgs: string[];
  source: 'platform-package' | 'wrapper' | 'path';
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

export function resolveAnvilCommand(): AnvilCommand {
  const bin = platformBinary();
  if (bin !== undefined) return { command: bin, prefixArgs: [], source: 'platform-package' };
  const wrapper = resolveFrom('@foundry-rs/anvil/bin.mjs');
  if (wrapper !== undefined) return { command: process.execPath, prefixArgs: [wrapper], source: 'wrapper' };
  const path = onPath();
  if (path !== undefined) return { command: path, prefixArgs: [], source: 'path' };
  throw new Error(
    `anvil not found: install @foundry-rs/anvil (platform package @foundry-rs/anvil-${process.platform}-` +
      `${ARCH[process.arch] ?? process.arch}) or put foundry's anvil on PATH`,
  );
}
