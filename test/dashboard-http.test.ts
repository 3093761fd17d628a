/**
 * The dashboard over plain HTTP, on a real gateway in front of real anvil: sign-in (a wrong
 * token refused, the right one gives an HttpOnly SameSite=Strict cookie), the API refused
 * without it, the Content-Security-Policy, the static files with their types and caching, and
 * the live stream: history first, then snapshots whose request rate follows real traffic.
 */
import { randomBytes } from 'node:crypto';
import { type ClientRequest, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STREAMS } from '../src/dashboard/dashboard-module.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { readEvents, signIn } from './support/dashboard-client.js';

const token = randomBytes(16).toString('hex');
let anvil: AnvilNode;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  anvil = await startAnvil();
  gateway = createGateway({
    logging: { level: 'silent' },
    tenancy: { adminToken: token },
    networks: { anvil: { upstreams: [{ id: 'a', url: anvil.url }] } },
  });
  base = (await gateway.listen(0, '127.0.0.1')).url;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
});

const form = (value: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token: value }).toString(),
  redirect: 'manual' as const,
});

async function signedIn(): Promise<string> {
  const { status, cookie } = await signIn(base, token);
  expect(status).toBe(303);
  return cookie;
}

describe('dashboard', () => {
  it('shows the sign-in form with a Content-Security-Policy that allows only this origin', async () => {
    const res = await fetch(`${base}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('action="/dashboard/sign-in"');
    expect(html).not.toContain('<script');
  });

  it('refuses a wrong token with the form and an error, and a body that is not a form', async () => {
    const wrong = await fetch(`${base}/dashboard/sign-in`, form('not-the-token-at-all'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not the admin token.');
    const json = await fetch(`${base}/dashboard/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
      'ERR_DASHBOARD_INVALID',
    );
  });

  it('signs in with an HttpOnly SameSite=Strict cookie and serves the page; sign-out clears it', async () => {
    const res = await fetch(`${base}/dashboard/sign-in`, form(token));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^turnpike_dashboard=admin\.\d+\.[\w-]+; Path=\/dashboard; Max-Age=\d+; HttpOnly; SameSite=Strict$/,
    );
    const cookie = setCookie.split(';')[0]!;
    const page = await (await fetch(`${base}/dashboard`, { headers: { cookie } })).text();
    expect(page).toContain('id="upstreams"');
    expect(page).toMatch(/<script src="\/dashboard\/assets\/uplot\.[0-9a-f]{12}\.js">/);
    const out = await fetch(`${base}/dashboard/sign-out`, {
      method: 'POST',
      headers: { cookie },
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^turnpike_dashboard=; Path=\/dashboard; Max-Age=0;/);
  });

  it('refuses the API without a session, or with a forged or expired one', async () => {
    for (const cookie of [
      undefined,
      'turnpike_dashboard=admin.99999999999999.forged',
      'turnpike_dashboard=1.x',
      'turnpike_dashboard=99999999999999.forged',
    ]) {
      for (const path of ['/dashboard/api/stream', '/dashboard/api/snapshot']) {
        const res = await fetch(`${base}${path}`, cookie === undefined ? {} : { headers: { cookie } });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
          'ERR_DASHBOARD_UNAUTHORIZED',
        );
      }
    }
  });

  it('serves its static files with their content types, immutable under hashed names', async () => {
    const cookie = await signedIn();
    const page = await (await fetch(`${base}/dashboard`, { headers: { cookie } })).text();
    const paths = [...page.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    // uPlot's script and style, ours, the panels' script, and the transfer search's script and style.
    expect(paths).toHaveLength(7);
    for (const path of paths) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      );
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    expect((await fetch(`${base}/dashboard/assets/uplot.000000000000.js`)).status).toBe(404);
  });

  it('sends a first load (page and its seven files) of under 100 KB gzip, and says how much', async () => {
    const cookie = await signedIn();
    const gzip = { 'accept-encoding': 'gzip' };
    const page = await fetch(`${base}/dashboard`, { headers: { cookie, ...gzip } });
    const html = await page.text();
    const sizes: Record<string, { wire: number; plain: number }> = {
      '/dashboard': { wire: Number(page.headers.get('content-length')), plain: Buffer.byteLength(html) },
    };
    for (const [, path] of html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)) {
      const res = await fetch(`${base}${path}`, { headers: gzip });
      expect(res.headers.get('content-encoding')).toBe('gzip');
      sizes[path!] = {
        wire: Number(res.headers.get('content-length')),
        plain: (await res.arrayBuffer()).byteLength,
      };
    }
    const wire = Object.values(sizes).reduce((sum, size) => sum + size.wire, 0);
    const plain = Object.values(sizes).reduce((sum, size) => sum + size.plain, 0);
    // The figure docs/dashboard.md quotes.
    console.log(`dashboard first load: ${wire} bytes gzip (${plain} uncompressed)`, sizes);
    expect(Object.keys(sizes)).toHaveLength(8);
    expect(wire).toBeGreaterThan(0);
    expect(wire).toBeLessThan(100_000);
  });

  it('serves at most MAX_STREAMS streams per process, refuses the next with 503, and frees closed ones', async () => {
    const cookie = await signedIn();
    const open: ClientRequest[] = [];
    const openOne = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${base}/dashboard/api/stream`, { headers: { cookie } }, (res) => {
          resolve(res.statusCode ?? 0);
          if (res.statusCode !== 200) res.resume();
        });
        req.on('error', reject);
        req.end();
        open.push(req);
      });
    try {
      for (let i = 0; i < MAX_STREAMS; i++) expect(await openOne()).toBe(200);
      expect(gateway.dashboard.streamCount).toBe(MAX_STREAMS);
      const refused = await fetch(`${base}/dashboard/api/stream`, { headers: { cookie } });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
        'ERR_DASHBOARD_BUSY',
      );
      open.pop()!.destroy();
      // The server sees the close; then one more fits (bounded wait).
      for (let i = 0; i < 100 && gateway.dashboard.streamCount === MAX_STREAMS; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await openOne()).toBe(200);
    } finally {
      for (const req of open) req.destroy();
    }
  });

  it('streams the history, then snapshots whose request rate follows the traffic', async () => {
    const cookie = await signedIn();
    let sending = true;
    const load = (async () => {
      while (sending)
        await fetch(`${base}/anvil`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
        });
    })();
    try {
      const { events, headers } = await readEvents(base, cookie, (seen) =>
        seen.some((e) => e.event === 'snapshot' && JSON.parse(e.data).byMethod.eth_blockNumber > 0),
      );
      expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(events[0]!.event).toBe('history');
      expect(Array.isArray(JSON.parse(events[0]!.data).points)).toBe(true);
      const busy = events.map((e) => JSON.parse(e.data)).find((s) => s.byMethod?.eth_blockNumber > 0);
      expect(busy.rps).toBeGreaterThan(0);
      expect(busy.upstreams).toMatchObject([{ network: 'anvil', id: 'a', healthy: true, breaker: 'closed' }]);
      expect(busy.workers[0].rssBytes).toBeGreaterThan(0);
    } finally {
      sending = false;
      await load;
    }
  });

  it('streams through a node:http server the gateway is mounted on, too', async () => {
    const cookie = await signedIn();
    const server = createServer(gateway.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const mounted = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { events, headers } = await readEvents(mounted, cookie, (seen) =>
        seen.some((e) => e.event === 'snapshot'),
      );
      expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(events[0]!.event).toBe('history');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
