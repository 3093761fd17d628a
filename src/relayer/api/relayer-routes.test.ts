import { describe, expect, it } from 'vitest';
import { ADMIN_ROUTES } from '../../admin/routes.js';
import { RouteTable } from '../../http/route-table.js';
import { RELAYER_MOUNTS } from './relayer-paths.js';
import { relayerRequestSchemas } from './relayer-request-schemas.js';
import { relayerRoutes } from './relayer-routes.js';
import { transferRules } from './transfer-fields.js';

const rules = transferRules({ tokens: {}, maxTransfersPerRequest: 3, maxMemoBytes: 8 });
const WAIT = { defaultTimeoutMs: 5_000, maxTimeoutMs: 30_000, pollMs: 100, maxWaiters: 10 };
const RELAYER_ROUTES = relayerRoutes(relayerRequestSchemas(rules, WAIT));

/** The path of a template with every parameter filled. */
const filled = (path: string) =>
  path
    .split('/')
    .map((segment) => (segment.startsWith('{') ? 'x1' : segment))
    .join('/');

describe('the route tables of the admin and relayer APIs', () => {
  it('admin: every route answers its own method and path', () => {
    const table = new RouteTable(ADMIN_ROUTES);
    for (const admin of ADMIN_ROUTES) {
      const match = table.match(admin.method, filled(admin.path));
      expect(match.kind === 'found' && match.route, `${admin.method} ${admin.path}`).toBe(admin);
    }
  });

  it('relayer: every route answers its own method and path, and is under a relayer mount', () => {
    const table = new RouteTable(RELAYER_ROUTES, { headFromGet: true, undecodable: 'raw' });
    const mounts = new RouteTable(
      RELAYER_MOUNTS.map((mount) => ({ ...mount, handler: 'relayer' })),
      { headFromGet: true },
    );
    for (const relayer of RELAYER_ROUTES) {
      const path = filled(relayer.path);
      const match = table.match(relayer.method, path);
      expect(match.kind === 'found' && match.route, `${relayer.method} ${relayer.path}`).toBe(relayer);
      expect(mounts.find(relayer.method, path), `${relayer.method} ${relayer.path}`).toBeDefined();
    }
  });

  it('relayer: the Allow lists the API answered before the table', () => {
    const table = new RouteTable(RELAYER_ROUTES, { headFromGet: true, undecodable: 'raw' });
    const allow = (path: string) => table.allowed(path).join(', ');
    expect(allow('/v1/transfers')).toBe('GET, HEAD, POST');
    expect(allow('/send-ft')).toBe('POST');
    expect(allow('/v1/transfers/tr_1')).toBe('GET, HEAD');
    expect(allow('/transfer/rq_1')).toBe('GET, HEAD');
    expect(allow('/transfer/tx/0xab')).toBe('GET, HEAD');
    expect(allow('/transfer/tx/')).toBe('');
    expect(allow('/v1/transfers/a/b')).toBe('');
    // `/transfer/tx` alone is a job id, as before.
    const job = table.match('GET', '/transfer/tx');
    expect(job.kind === 'found' && job.route.operationId).toBe('getJob');
  });
});
