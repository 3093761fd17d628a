// Starting the Node targets: the naive Express proxy and Turnpike (through its CLI).
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { assertOpen, startChild } from './children.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXPRESS_PROXY = fileURLToPath(new URL('../servers/express-proxy.mjs', import.meta.url));
const NODE_UNDICI_PROXY = fileURLToPath(new URL('../servers/node-undici-proxy.mjs', import.meta.url));
const FLAPPING_STUB = fileURLToPath(new URL('../servers/flapping-stub.mjs', import.meta.url));
const MEMORY_FLOOR = fileURLToPath(new URL('../servers/memory-floor.mjs', import.meta.url));
const HTTP1_SHELL = fileURLToPath(new URL('../servers/http1-shell.mjs', import.meta.url));
const TURNPIKE_BIN = join(REPO_ROOT, 'bin/turnpike.js');
const TURNPIKE_DIST = join(REPO_ROOT, 'dist/cli/main.js');
const READY = /ready (http:\/\/\S+)/;

export async function startExpressProxy({ port, upstream }) {
  const child = await startChild('express-proxy', process.execPath, [EXPRESS_PROXY, String(port), upstream], {
    ready: READY,
  });
  return { child, url: `http://127.0.0.1:${port}/` };
}

/** The runtime floor: node:http + undici pass-through, one process per worker (see the server file). */
export async function startNodeUndiciProxy({ port, upstream, workers }) {
  const child = await startChild(
    'node-undici-proxy',
    process.execPath,
    [NODE_UNDICI_PROXY, String(port), upstream, String(workers)],
    { ready: READY },
  );
  return { child, url: `http://127.0.0.1:${port}/` };
}

/**
 * The runtime floor for answers from memory (see the server file): `answersFile` maps request
 * bodies to response bodies.
 */
export async function startMemoryFloor({ port, answersFile, workers }) {
  const child = await startChild(
    'memory-floor',
    process.execPath,
    [MEMORY_FLOOR, String(port), answersFile, String(workers)],
    { ready: READY },
  );
  return { child, url: `http://127.0.0.1:${port}/` };
}

/** Turnpike's HTTP/1.1 server answering from the same Map as the floor (needs `npm run build`). */
export async function startHttp1Shell({ port, answersFile, workers }) {
  const child = await startChild(
    'http1-shell',
    process.execPath,
    [HTTP1_SHELL, String(port), answersFile, String(workers)],
    {
      ready: READY,
    },
  );
  return { child, url: `http://127.0.0.1:${port}/` };
}

export async function startFlappingStub({ port, flapSeconds }) {
  const child = await startChild(
    'flapping-stub',
    process.execPath,
    [FLAPPING_STUB, String(port), String(flapSeconds)],
    { ready: READY },
  );
  return { child, url: `http://127.0.0.1:${port}/`, statsUrl: `http://127.0.0.1:${port}/stats` };
}

/** Why Turnpike cannot be started, or null when the compiled CLI is there. */
export function turnpikeMissing() {
  return existsSync(TURNPIKE_DIST) ? null : `${TURNPIKE_DIST} not found (run \`npm run build\`)`;
}

/**
 * Writes a one-network config and starts `turnpike start`; resolves once it prints its ready line.
 * `extraConfig` adds top-level sections or merges into them (e.g. `{ storage, tenancy }` for
 * tenancy on); `urlPath` is what the returned `url` points at (default `/<network>`, e.g.
 * `/<network>/<apiKey>` for keyed requests). `networkConfig` merges into the network's own
 * section (e.g. `{ cache: {...} }`, or `{ health: {...} }` to replace the stub-friendly health).
 */
export async function startTurnpike({
  dir,
  port,
  workers,
  upstreams,
  network = 'bench',
  nodeArgs = [],
  onLine,
  extraConfig = {},
  networkConfig = {},
  urlPath = `/${network}`,
  bin = TURNPIKE_BIN,
}) {
  const missing = turnpikeMissing();
  if (missing) throw new Error(`Turnpike unavailable: ${missing}`);
  const config = {
    server: { host: '127.0.0.1', port, workers },
    logging: { level: 'warn' },
    networks: {
      [network]: {
        // The stubs answer "0x1" to everything: no chain id to check, no head to lag behind.
        health: { checkChainId: false, maxBlockLag: 0 },
        upstreams: upstreams.map((url) => ({ url })),
        ...networkConfig,
      },
    },
  };
  for (const [section, value] of Object.entries(extraConfig))
    config[section] = { ...config[section], ...value };
  assertOpen('Turnpike');
  const path = join(dir, `turnpike-${port}.yaml`);
  await writeFile(path, YAML.stringify(config));
  // Node options (cluster workers inherit them), then the CLI.
  const args = [
    ...nodeArgs,
    bin,
    'start',
    '--config',
    path,
    '--workers',
    String(workers),
    '--port',
    String(port),
  ];
  const child = await startChild(`turnpike (${workers} workers)`, process.execPath, args, {
    ready: READY,
    cwd: REPO_ROOT,
    timeoutMs: 30_000,
    onLine,
  });
  const origin = `http://127.0.0.1:${port}`;
  return { child, url: `${origin}${urlPath}`, metricsUrl: `${origin}/metrics` };
}
