/**
 * The /metrics families (name, type, HELP) of a gateway with tenancy, cache, consistency and the relayer on,
 * against a snapshot: moving a collector between modules must not rename, drop or re-describe
 * a family. Change test/metrics-families.snapshot.txt only together with the metrics table of
 * docs/operations.md.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';

const SNAPSHOT = new URL('./metrics-families.snapshot.txt', import.meta.url);
/** prom-client's default process and Node.js metrics differ by platform; the rest is ours. */
const DEFAULT_PREFIXES = ['process_', 'nodejs_'];

let anvil: AnvilNode;
let gateway: Gateway;
let baseUrl: string;
let dir: string;

beforeAll(async () => {
  anvil = await startAnvil();
  dir = mkdtempSync(join(tmpdir(), 'turnpike-metrics-families-'));
  gateway = createGateway({
    logging: { level: 'silent' },
    storage: { database: join(dir, 'turnpike.db') },
    tenancy: { enabled: true, adminToken: 'metrics-families-admin-token' },
    consistency: { enabled: true },
    networks: { anvil: { upstreams: [{ id: 'anvil-0', url: anvil.url }] } },
    relayer: {
      enabled: true,
      engine: false,
      network: 'anvil',
      batchContract: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
      tokens: { USDC: '0x5fbdb2315678afecb367f032d93f642f64180aa3' },
      defaultToken: 'USDC',
    },
  });
  ({ url: baseUrl } = await gateway.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** `name type help` per family, in exposition order. */
function families(text: string): string[] {
  const help = new Map<string, string>();
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const rest = line.slice('# HELP '.length);
      const space = rest.indexOf(' ');
      help.set(rest.slice(0, space), rest.slice(space + 1));
    } else if (line.startsWith('# TYPE ')) {
      const [name = '', type = ''] = line.slice('# TYPE '.length).split(' ');
      lines.push(`${name} ${type} ${help.get(name) ?? ''}`);
    }
  }
  return lines;
}

it('exposes the same metric families, types and HELP texts', async () => {
  const res = await fetch(`${baseUrl}/metrics`);
  expect(res.status).toBe(200);
  const all = families(await res.text());
  const isDefault = (line: string) => DEFAULT_PREFIXES.some((prefix) => line.startsWith(prefix));
  expect(all.filter(isDefault).length).toBeGreaterThan(10);
  const ours = all.filter((line) => !isDefault(line)).sort();
  const expected = readFileSync(SNAPSHOT, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  expect(ours).toEqual(expected);
});
