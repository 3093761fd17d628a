/**
 * A gateway with tenancy on, over a real database (a fresh SQLite file or PostgreSQL schema)
 * and one real anvil upstream, plus small clients for its admin API and its JSON-RPC route.
 */
import { randomBytes } from 'node:crypto';
import { type AnvilNode, startAnvil } from '../../src/dev/anvil.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createTestDatabase, type TestDatabase, type TestDialect } from './databases.js';

export interface TenancyGatewayOptions {
  dialect: TestDialect;
  /** @default 100 (ms), so usage shows up quickly */
  usageFlushMs?: number;
}

export interface AdminRequest {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (for broken JSON). */
  rawBody?: string;
  /** Replaces the admin token; `null` sends no Authorization header. */
  authorization?: string | null;
}

export interface AdminResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON; undefined for an empty body. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path and assert on what they find.
  readonly body: any;
}

export interface TenancyGateway {
  readonly gateway: Gateway;
  readonly baseUrl: string;
  readonly network: string;
  readonly adminToken: string;
  /** Calls `/admin/v1<path>` with the admin token. */
  admin(method: string, path: string, request?: AdminRequest): Promise<AdminResponse>;
  /** One JSON-RPC call with the key in the path (`/<network>/<secret>`). */
  rpc(secret: string, method?: string): Promise<AdminResponse>;
  close(): Promise<void>;
}

export async function startTenancyGateway(options: TenancyGatewayOptions): Promise<TenancyGateway> {
  const network = 'anvil';
  const adminToken = randomBytes(16).toString('hex');
  const database: TestDatabase = await createTestDatabase(options.dialect);
  let anvil: AnvilNode | undefined;
  let gateway: Gateway | undefined;
  try {
    anvil = await startAnvil();
    gateway = createGateway({
      logging: { level: 'silent' },
      storage: { database: database.options.database, schema: database.options.schema },
      tenancy: {
        enabled: true,
        adminToken,
        usageFlushMs: options.usageFlushMs ?? 100,
        // Polling is the slow path; with it out of the way a change seen at once proves the
        // admin API's own refresh and notice.
        changePollMs: 60_000,
      },
      networks: { [network]: { upstreams: [{ id: 'anvil-0', url: anvil.url }] } },
    });
    const { url: baseUrl } = await gateway.listen(0, '127.0.0.1');
    const started = { gateway, anvil };
    return {
      gateway,
      baseUrl,
      network,
      adminToken,
      admin(method, path, request = {}) {
        const authorization =
          request.authorization === undefined ? `Bearer ${adminToken}` : request.authorization;
        const body =
          request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
        return exchange(`${baseUrl}/admin/v1${path}`, {
          method,
          headers: {
            ...(authorization !== null && { authorization }),
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body }),
        });
      },
      rpc(secret, method = 'eth_chainId') {
        return exchange(`${baseUrl}/${network}/${secret}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
        });
      },
      async close() {
        await started.gateway.close(1_000);
        await started.anvil.stop();
        await database.drop();
      },
    };
  } catch (err) {
    await gateway?.close(0).catch(() => undefined);
    await anvil?.stop();
    await database.drop();
    throw err;
  }
}

async function exchange(url: string, init: RequestInit): Promise<AdminResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text === '' ? undefined : JSON.parse(text) };
}
