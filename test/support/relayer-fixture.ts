/**
 * A relayer on real parts: an anvil node mining a block every second (after the demo token and
 * batch contract were deployed on automine), N fresh signing keys funded and approved, a
 * SQLite or PostgreSQL database, and a gateway with the relayer on, in this process.
 */
import { randomBytes } from 'node:crypto';
import { encodeFunctionData, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import type { TurnpikeConfigInput } from '../../src/config/schema.js';
import { type AnvilNode, startAnvil } from '../../src/dev/anvil.js';
import { type DemoContracts, deployDemoContracts } from '../../src/dev/dev-relayer-contracts.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { erc20Abi } from '../../src/relayer/chains/evm/abi.js';
import { createTestDatabase, type TestDatabase, type TestDialect } from './databases.js';

type RelayerInput = NonNullable<TurnpikeConfigInput['relayer']>;

export interface RelayerFixtureOptions {
  readonly dialect: TestDialect;
  /** @default 8 */
  readonly keys?: number;
  /** @default 10^30 base units each */
  readonly mintPerSigner?: bigint;
  /** Extra `relayer` options. */
  readonly relayer?: Partial<RelayerInput>;
  /** Seconds between blocks once the contracts are deployed. @default 1 */
  readonly blockTime?: number;
  /** Start the gateway in this process. @default true */
  readonly gateway?: boolean;
  /** The upstream URL the gateway uses for the anvil (e.g. a fault proxy in front of it). */
  readonly upstreamUrl?: (anvilUrl: string) => Promise<string>;
  /** More top-level config sections (e.g. `tenancy`). */
  readonly extra?: Partial<Omit<TurnpikeConfigInput, 'relayer' | 'networks' | 'storage'>>;
}

export interface RelayerFixture {
  readonly anvil: AnvilNode;
  readonly contracts: DemoContracts;
  readonly keys: readonly Hex[];
  readonly database: TestDatabase;
  /** The whole config (for a gateway in another process too). */
  readonly config: TurnpikeConfigInput;
  /** Environment variable holding the keys (set in this process; pass it to children). */
  readonly keysEnv: string;
  readonly gateway: Gateway | undefined;
  readonly baseUrl: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  get(path: string): Promise<{ status: number; body: any }>;
  balanceOf(address: string): Promise<bigint>;
  close(): Promise<void>;
}

export async function rpc(url: string, method: string, params: unknown[]): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (answer.error !== undefined) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result;
}

export async function startRelayerFixture(options: RelayerFixtureOptions): Promise<RelayerFixture> {
  // A high gas limit: the 1-second blocks must hold several full batches of every key.
  const anvil = await startAnvil({ extraArgs: ['--gas-limit', '300000000'] });
  const keys = Array.from({ length: options.keys ?? 8 }, () => generatePrivateKey());
  let database: TestDatabase | undefined;
  let gateway: Gateway | undefined;
  try {
    const contracts = await deployDemoContracts({
      rpcUrl: anvil.url,
      signerKeys: keys,
      mintPerSigner: options.mintPerSigner ?? 10n ** 30n,
    });
    await rpc(anvil.url, 'evm_setAutomine', [false]);
    await rpc(anvil.url, 'evm_setIntervalMining', [options.blockTime ?? 1]);
    database = await createTestDatabase(options.dialect);
    const keysEnv = `TURNPIKE_TEST_KEYS_${randomBytes(4).toString('hex').toUpperCase()}`;
    process.env[keysEnv] = keys.join(',');
    const config: TurnpikeConfigInput = {
      logging: { level: 'silent' },
      storage: { database: database.options.database, schema: database.options.schema },
      networks: {
        anvil: { upstreams: [{ id: 'anvil', url: (await options.upstreamUrl?.(anvil.url)) ?? anvil.url }] },
      },
      relayer: {
        enabled: true,
        network: 'anvil',
        batchContract: contracts.batchContract,
        tokens: { DEMO: contracts.token },
        defaultToken: 'DEMO',
        keys: { env: keysEnv },
        pollMs: 200,
        ...options.relayer,
      },
      ...options.extra,
    };
    let baseUrl = '';
    if (options.gateway ?? true) {
      gateway = createGateway(config);
      baseUrl = (await gateway.listen(0, '127.0.0.1')).url;
    }
    const call = async (
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    };
    const db = database;
    return {
      anvil,
      contracts,
      keys,
      database: db,
      config,
      keysEnv,
      gateway,
      baseUrl,
      post: (path, body, headers) => call('POST', path, body, headers),
      get: (path) => call('GET', path),
      async balanceOf(address) {
        const data = encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [address as Hex] });
        return BigInt(await rpc(anvil.url, 'eth_call', [{ to: contracts.token, data }, 'latest']));
      },
      async close() {
        await gateway?.close(1_000);
        await db.drop();
        await anvil.stop();
        delete process.env[keysEnv];
      },
    };
  } catch (err) {
    await gateway?.close(0).catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await anvil.stop();
    throw err;
  }
}

/** A fresh random recipient address, lowercase. */
export function randomAddress(): string {
  return `0x${randomBytes(20).toString('hex')}`;
}
