/**
 * Compiles contracts/*.sol with solc-js (the npm WebAssembly build: no compiler download) for
 * deploying the demo contracts. The relayer's hot path never needs this: it uses the hand-written
 * ABIs in abi.ts. Loading solc takes seconds, so results are cached in memory and on disk, keyed
 * by a hash of the compiler version, the settings and the sources; compiled output is never committed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Hex } from 'viem';

export interface CompiledContract {
  readonly abi: Abi;
  /** Creation bytecode, 0x-hex. */
  readonly bytecode: Hex;
}

/** Contract name → compiled contract, for every contract in every source file. */
export type CompiledContracts = Readonly<Record<string, CompiledContract>>;

export interface CompileOptions {
  /** Folder of the .sol sources. @default the package's `contracts/` */
  contractsDir?: string;
  /** Folder of the on-disk cache; null disables it. @default `<os tmpdir>/turnpike-solc` */
  cacheDir?: string | null;
}

/** `contracts/` of the package: src/… and dist/… sit at the same depth below the package root. */
export const CONTRACTS_DIR = fileURLToPath(new URL('../../../../contracts/', import.meta.url));

// Anvil's default hardfork runs cancun code; naming it keeps the bytecode stable across solc upgrades.
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const;

const memory = new Map<string, Promise<CompiledContracts>>();

export async function compileContracts(options: CompileOptions = {}): Promise<CompiledContracts> {
  const dir = options.contractsDir ?? CONTRACTS_DIR;
  const sources = await readSources(dir);
  const key = cacheKey(sources);
  let pending = memory.get(key);
  if (pending === undefined) {
    const cacheDir = options.cacheDir === undefined ? join(tmpdir(), 'turnpike-solc') : options.cacheDir;
    pending = compileCached(sources, key, cacheDir);
    memory.set(key, pending);
    pending.catch(() => memory.delete(key));
  }
  return pending;
}

/** One contract by name, or an error naming what was compiled. */
export function pickContract(contracts: CompiledContracts, name: string): CompiledContract {
  const found = contracts[name];
  if (found === undefined)
    throw new Error(`no contract ${name} among ${Object.keys(contracts).join(', ') || 'none'}`);
  return found;
}

async function readSources(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sol')).sort();
  if (names.length === 0) throw new Error(`no .sol files in ${dir}`);
  const sources: Record<string, string> = {};
  for (const name of names) sources[name] = await readFile(join(dir, name), 'utf8');
  return sources;
}

function cacheKey(sources: Record<string, string>): string {
  const hash = createHash('sha256');
  hash.update(solcVersion());
  hash.update(JSON.stringify(SETTINGS));
  hash.update(JSON.stringify(sources));
  return hash.digest('hex');
}

/** The version from solc's package.json: reading it does not load the compiler. */
function solcVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('solc/package.json') as { version: string }).version;
}

async function compileCached(
  sources: Record<string, string>,
  key: string,
  cacheDir: string | null,
): Promise<CompiledContracts> {
  const file = cacheDir === null ? undefined : join(cacheDir, `${key}.json`);
  if (file !== undefined) {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as CompiledContracts;
    } catch {
      // absent or unreadable: compile again
    }
  }
  const compiled = await compile(sources);
  if (cacheDir !== null && file !== undefined) {
    await mkdir(cacheDir, { recursive: true });
    // Write then rename, so a concurrent reader never sees half a file.
    const partial = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(partial, JSON.stringify(compiled));
    await rename(partial, file);
  }
  return compiled;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

async function compile(sources: Record<string, string>): Promise<CompiledContracts> {
  const { default: solc } = await import('solc');
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contracts: Record<string, CompiledContract> = {};
  for (const file of Object.values(output.contracts ?? {})) {
    for (const [name, contract] of Object.entries(file)) {
      contracts[name] = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
    }
  }
  return contracts;
}
