/**
 * The one conformance suite of TenancyStore: every implementation must pass it unchanged.
 * The suite owns the clock (every store is opened with it) so expiry and rotation are exact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors/codes.js';
import { hashApiKey, looksLikeApiKey } from '../../src/tenancy/api-key-secret.js';
import type { PlanInput, TenancyStore, UsageDelta } from '../../src/tenancy/model.js';

export interface TenancyStoreHarness {
  readonly store: TenancyStore;
  /** Everything the store has persisted, as text: a key's secret must never appear in it. */
  persistedText(): Promise<string>;
  drop(): Promise<void>;
}

/** Opens a fresh, empty store that reads the time from `now`. */
export type OpenTenancyStore = (now: () => number) => Promise<TenancyStoreHarness>;

const T0 = Date.UTC(2024, 2, 20, 12, 0, 0);
const DAY_MS = 86_400_000;

const FULL_PLAN: PlanInput = {
  name: 'growth',
  rateLimit: { perSecond: 25.5, burst: 50 },
  ratePerMethod: true,
  monthlyQuota: 1_000_000,
  quotaUnit: 'compute_units',
  computeUnits: { eth_call: 26, eth_getLogs: 75 },
  allowedNetworks: ['ethereum', 'base'],
  allowedMethods: ['eth_call', 'eth_getLogs', 'eth_blockNumber'],
  deniedMethods: ['debug_traceTransaction'],
};

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'GatewayError', code });
}

export function describeTenancyStore(name: string, open: OpenTenancyStore): void {
  describe(name, () => {
    let clock = T0;
    let harness: TenancyStoreHarness;
    let store: TenancyStore;

    beforeEach(async () => {
      clock = T0;
      harness = await open(() => clock);
      store = harness.store;
    });

    afterEach(async () => {
      await harness.drop();
    });

    /** A plan, a project on it and one key: the usual starting point. */
    async function tenant(options: { credits?: number; project?: string } = {}) {
      const plan = (await store.getPlan('basic')) ?? (await store.createPlan({ name: 'basic' }));
      const project = await store.createProject({
        name: options.project ?? 'acme',
        planId: plan.id,
        ...(options.credits !== undefined ? { credits: options.credits } : {}),
      });
      const issued = await store.createKey({ projectId: project.id, name: 'server' });
      return { plan, project, issued, hash: hashApiKey(issued.secret) };
    }

    function delta(keyId: string, projectId: string, fields: Partial<UsageDelta> = {}): UsageDelta {
      return {
        day: '2024-03-20',
        projectId,
        keyId,
        network: 'ethereum',
        method: 'eth_call',
        outcome: 'ok',
        requests: 1,
        computeUnits: 10,
        bytes: 100,
        ...fields,
      };
    }

    describe('plans', () => {
      it('round-trips every field, and leaves unset optional fields absent', async () => {
        const full = await store.createPlan(FULL_PLAN);
        expect(full).toStrictEqual({ ...FULL_PLAN, id: full.id, createdAt: T0, updatedAt: T0 });
        expect(full.id).toMatch(/^pln_[0-9A-Za-z]{16}$/);

        const minimal = await store.createPlan({ name: 'free' });
        expect(minimal).toStrictEqual({
          id: minimal.id,
          name: 'free',
          ratePerMethod: false,
          quotaUnit: 'requests',
          computeUnits: {},
          deniedMethods: [],
          createdAt: T0,
          updatedAt: T0,
        });
        for (const absent of ['rateLimit', 'monthlyQuota', 'allowedNetworks', 'allowedMethods'])
          expect(Object.hasOwn(minimal, absent)).toBe(false);

        expect(await store.getPlan(full.id)).toStrictEqual(full);
        expect(await store.getPlan('growth')).toStrictEqual(full);
        expect(await store.getPlan('free')).toStrictEqual(minimal);
        expect(await store.getPlan('nope')).toBeUndefined();
        expect((await store.listPlans()).map((plan) => plan.name)).toEqual(['free', 'growth']);
      });

      it('an empty allow list is kept apart from "no list"', async () => {
        const plan = await store.createPlan({ name: 'locked', allowedNetworks: [], allowedMethods: [] });
        expect(plan.allowedNetworks).toEqual([]);
        expect(plan.allowedMethods).toEqual([]);
        expect(await store.getPlan(plan.id)).toStrictEqual(plan);
      });

      it('updates only what the patch names; null clears an optional field', async () => {
        const plan = await store.createPlan(FULL_PLAN);
        clock = T0 + 5_000;
        const updated = await store.updatePlan(plan.id, {
          rateLimit: null,
          allowedNetworks: null,
          monthlyQuota: 5,
          deniedMethods: [],
        });
        const { rateLimit: _rate, allowedNetworks: _networks, ...kept } = plan;
        expect(updated).toStrictEqual({ ...kept, monthlyQuota: 5, deniedMethods: [], updatedAt: T0 + 5_000 });
        expect(await store.getPlan(plan.id)).toStrictEqual(updated);

        const renamed = await store.updatePlan(plan.id, {
          name: 'scale',
          rateLimit: { perSecond: 1, burst: 1 },
        });
        expect(renamed.name).toBe('scale');
        expect(renamed.rateLimit).toEqual({ perSecond: 1, burst: 1 });
        expect(renamed.computeUnits).toEqual(FULL_PLAN.computeUnits);
        expect(await store.getPlan('growth')).toBeUndefined();
      });

      it('refuses duplicate names, unknown ids and impossible values', async () => {
        const plan = await store.createPlan({ name: 'basic' });
        const other = await store.createPlan({ name: 'pro' });
        await expectCode(store.createPlan({ name: 'basic' }), 'ERR_ADMIN_CONFLICT');
        await expectCode(store.updatePlan(other.id, { name: 'basic' }), 'ERR_ADMIN_CONFLICT');
        await expectCode(store.updatePlan('pln_missing', { monthlyQuota: 1 }), 'ERR_ADMIN_NOT_FOUND');
        await expectCode(store.createPlan({ name: 'neg', monthlyQuota: -1 }), 'ERR_ADMIN_INVALID');
        await expectCode(
          store.updatePlan(plan.id, { rateLimit: { perSecond: 0, burst: 1 } }),
          'ERR_ADMIN_INVALID',
        );
        expect((await store.getPlan(other.id))?.name).toBe('pro');
      });

      it('cannot be deleted while a project uses it', async () => {
        const { plan, project } = await tenant();
        const spare = await store.createPlan({ name: 'spare' });
        await expectCode(store.deletePlan(plan.id), 'ERR_ADMIN_CONFLICT');
        expect(await store.getPlan(plan.id)).toBeDefined();

        await store.updateProject(project.id, { planId: spare.id });
        await store.deletePlan(plan.id);
        expect(await store.getPlan(plan.id)).toBeUndefined();
        await expectCode(store.deletePlan(plan.id), 'ERR_ADMIN_NOT_FOUND');
      });
    });

    describe('projects', () => {
      it('are created, found by id or name, renamed and moved between plans', async () => {
        const basic = await store.createPlan({ name: 'basic' });
        const pro = await store.createPlan({ name: 'pro' });
        const project = await store.createProject({ name: 'acme', planId: basic.id });
        expect(project).toStrictEqual({
          id: project.id,
          name: 'acme',
          planId: basic.id,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(project.id).toMatch(/^prj_[0-9A-Za-z]{16}$/);
        expect(await store.getProject('acme')).toStrictEqual(project);
        expect(await store.getProject(project.id)).toStrictEqual(project);

        clock = T0 + 1;
        const moved = await store.updateProject(project.id, { name: 'acme-inc', planId: pro.id });
        expect(moved).toStrictEqual({ ...project, name: 'acme-inc', planId: pro.id, updatedAt: T0 + 1 });
        expect(await store.getProject('acme')).toBeUndefined();
        expect(await store.listProjects()).toStrictEqual([moved]);
      });

      it('refuse duplicate names, missing plans and unknown ids', async () => {
        const plan = await store.createPlan({ name: 'basic' });
        const acme = await store.createProject({ name: 'acme', planId: plan.id });
        await store.createProject({ name: 'globex', planId: plan.id });
        await expectCode(store.createProject({ name: 'acme', planId: plan.id }), 'ERR_ADMIN_CONFLICT');
        await expectCode(store.updateProject(acme.id, { name: 'globex' }), 'ERR_ADMIN_CONFLICT');
        await expectCode(
          store.createProject({ name: 'initech', planId: 'pln_missing' }),
          'ERR_ADMIN_CONFLICT',
        );
        await expectCode(store.updateProject(acme.id, { planId: 'pln_missing' }), 'ERR_ADMIN_CONFLICT');
        await expectCode(store.updateProject('prj_missing', { name: 'x' }), 'ERR_ADMIN_NOT_FOUND');
        expect(await store.getProject('initech')).toBeUndefined();
        expect((await store.getProject(acme.id))?.planId).toBe(plan.id);
      });
    });

    describe('keys', () => {
      it('store only a hash and a display prefix; the secret is returned once', async () => {
        const { issued, project } = await tenant();
        expect(looksLikeApiKey(issued.secret)).toBe(true);
        expect(issued.key.prefix).toBe(issued.secret.slice(0, 8));
        expect(issued.key).toStrictEqual({
          id: issued.key.id,
          projectId: project.id,
          name: 'server',
          prefix: issued.secret.slice(0, 8),
          createdAt: T0,
        });
        const persisted = await harness.persistedText();
        expect(persisted).not.toContain(issued.secret);
        expect(persisted).not.toContain(issued.secret.slice(3));
        expect(persisted).toContain(hashApiKey(issued.secret));
        expect(await store.getKey(issued.key.id)).toStrictEqual(issued.key);
      });

      it('a hash finds key, project and plan together', async () => {
        const plan = await store.createPlan(FULL_PLAN);
        const project = await store.createProject({ name: 'acme', planId: plan.id, credits: 500 });
        const issued = await store.createKey({ projectId: project.id });
        const grant = await store.findGrant(hashApiKey(issued.secret), T0);
        expect(grant).toStrictEqual({ key: issued.key, project, plan });
        expect(grant?.key.name).toBe('');
        expect(await store.findGrant(hashApiKey(`${issued.secret}x`), T0)).toBeUndefined();
        expect(await store.findGrant(issued.secret, T0)).toBeUndefined();
      });

      it('a revoked key stops at once, and revoking again keeps the first time', async () => {
        const { issued, hash } = await tenant();
        clock = T0 + 1_000;
        const revoked = await store.revokeKey(issued.key.id);
        expect(revoked).toStrictEqual({ ...issued.key, revokedAt: T0 + 1_000, expiresAt: T0 + 1_000 });
        expect(await store.findGrant(hash, T0 + 1_000)).toBeUndefined();
        // Revoked means revoked, whatever time the caller asks about.
        expect(await store.findGrant(hash, T0)).toBeUndefined();

        clock = T0 + 9_000;
        const version = await store.changeVersion();
        expect(await store.revokeKey(issued.key.id)).toStrictEqual(revoked);
        expect(await store.getKey(issued.key.id)).toStrictEqual(revoked);
        expect(await store.changeVersion()).toBe(version);
        await expectCode(store.revokeKey('key_missing'), 'ERR_ADMIN_NOT_FOUND');
        await expectCode(store.createKey({ projectId: 'prj_missing' }), 'ERR_ADMIN_NOT_FOUND');
      });

      it('rotation with a grace period keeps the old key working until it ends', async () => {
        const { issued, hash, project } = await tenant();
        clock = T0 + 10_000;
        const next = await store.rotateKey(issued.key.id, 60);
        expect(next.secret).not.toBe(issued.secret);
        expect(next.key).toStrictEqual({
          id: next.key.id,
          projectId: project.id,
          name: 'server',
          prefix: next.secret.slice(0, 8),
          createdAt: T0 + 10_000,
          rotatedFrom: issued.key.id,
        });
        const old = await store.getKey(issued.key.id);
        expect(old).toStrictEqual({ ...issued.key, expiresAt: T0 + 70_000 });

        expect(await store.findGrant(hash, T0 + 69_999)).toBeDefined();
        expect(await store.findGrant(hash, T0 + 70_000)).toBeUndefined();
        const nextHash = hashApiKey(next.secret);
        expect((await store.findGrant(nextHash, T0 + 365 * DAY_MS))?.key.id).toBe(next.key.id);
        expect((await store.listKeys({ projectId: project.id })).map((key) => key.id)).toEqual([
          issued.key.id,
          next.key.id,
        ]);
      });

      it('rotation without grace revokes the old key now; a revoked key cannot be rotated', async () => {
        const { issued, hash } = await tenant();
        clock = T0 + 3_000;
        const next = await store.rotateKey(issued.key.id);
        expect(await store.getKey(issued.key.id)).toStrictEqual({
          ...issued.key,
          expiresAt: T0 + 3_000,
          revokedAt: T0 + 3_000,
        });
        expect(await store.findGrant(hash, T0 + 3_000)).toBeUndefined();
        expect(await store.findGrant(hashApiKey(next.secret), T0 + 3_000)).toBeDefined();
        await expectCode(store.rotateKey(issued.key.id, 60), 'ERR_ADMIN_CONFLICT');
        await expectCode(store.rotateKey('key_missing'), 'ERR_ADMIN_NOT_FOUND');
      });

      it('finds many grants in one call, leaving out unknown, revoked and expired keys', async () => {
        const first = await tenant();
        const second = await store.createKey({ projectId: first.project.id });
        const revoked = await store.createKey({ projectId: first.project.id });
        const rotated = await store.createKey({ projectId: first.project.id });
        await store.revokeKey(revoked.key.id);
        await store.rotateKey(rotated.key.id, 1);
        const other = await tenant({ project: 'globex' });

        // More hashes than one `in (…)` list holds, so chunking is exercised.
        const unknown = Array.from({ length: 1_200 }, (_, i) => hashApiKey(`tp_unknown_${i}`));
        const live = [first.hash, hashApiKey(second.secret), other.hash];
        const hashes = [
          ...unknown,
          ...live,
          hashApiKey(revoked.secret),
          hashApiKey(rotated.secret),
          first.hash,
        ];
        const grants = await store.findGrants(hashes, T0 + 500);
        expect([...grants.keys()].sort()).toEqual([...live, hashApiKey(rotated.secret)].sort());
        expect(grants.get(other.hash)?.project.name).toBe('globex');
        expect(grants.get(first.hash)?.plan.name).toBe('basic');

        const later = await store.findGrants(hashes, T0 + 1_000);
        expect([...later.keys()].sort()).toEqual([...live].sort());
        expect((await store.findGrants([], T0)).size).toBe(0);
      });
    });

    describe('change version', () => {
      it('grows with every admin change and not with failures or usage', async () => {
        expect(await store.changeVersion()).toBe(0);
        let last = 0;
        const grows = async (change: () => Promise<unknown>) => {
          await change();
          const version = await store.changeVersion();
          expect(version).toBeGreaterThan(last);
          last = version;
        };
        const stays = async (change: () => Promise<unknown>) => {
          await change().catch(() => undefined);
          expect(await store.changeVersion()).toBe(last);
        };

        let planId = '';
        let projectId = '';
        let keyId = '';
        await grows(async () => {
          planId = (await store.createPlan({ name: 'basic' })).id;
        });
        await grows(() => store.updatePlan(planId, { monthlyQuota: 10 }));
        await grows(async () => {
          projectId = (await store.createProject({ name: 'acme', planId })).id;
        });
        await grows(() => store.updateProject(projectId, { name: 'acme-inc' }));
        await grows(() => store.topUpCredits(projectId, 100, 'invoice 1'));
        await grows(async () => {
          keyId = (await store.createKey({ projectId })).key.id;
        });
        await grows(async () => {
          keyId = (await store.rotateKey(keyId, 30)).key.id;
        });
        await grows(() => store.revokeKey(keyId));
        const spare = await store.createPlan({ name: 'spare' });
        last = await store.changeVersion();
        await grows(() => store.deletePlan(spare.id));

        await stays(() => store.createPlan({ name: 'basic' }));
        await stays(() => store.deletePlan(planId));
        await stays(() => store.createKey({ projectId: 'prj_missing' }));
        await stays(() => store.recordUsage([delta(keyId, projectId)]));
      });
    });

    describe('credits', () => {
      it('start absent, are topped up, and are debited by recorded usage', async () => {
        const { project, issued } = await tenant();
        expect(Object.hasOwn(project, 'credits')).toBe(false);
        await expectCode(store.topUpCredits('prj_missing', 10, 'x'), 'ERR_ADMIN_NOT_FOUND');
        await expectCode(store.topUpCredits(project.id, 1.5, 'x'), 'ERR_ADMIN_INVALID');

        clock = T0 + 1;
        const topped = await store.topUpCredits(project.id, 1_000, 'invoice 1');
        expect(topped).toStrictEqual({ ...project, credits: 1_000, updatedAt: T0 + 1 });
        expect((await store.topUpCredits(project.id, -100, 'refund')).credits).toBe(900);

        await store.recordUsage([
          delta(issued.key.id, project.id, { computeUnits: 250 }),
          delta(issued.key.id, project.id, { method: 'eth_getLogs', computeUnits: 50 }),
          delta(issued.key.id, project.id, { outcome: 'ERR_RATE_LIMITED', computeUnits: 0 }),
        ]);
        expect((await store.getProject(project.id))?.credits).toBe(600);
        expect((await store.balances([project.id], T0)).get(project.id)?.credits).toBe(600);
      });

      it('may go below zero, and usage leaves projects without credits alone', async () => {
        const prepaid = await tenant({ credits: 100 });
        expect(prepaid.project.credits).toBe(100);
        const postpaid = await tenant({ project: 'globex' });
        await store.recordUsage([
          delta(prepaid.issued.key.id, prepaid.project.id, { computeUnits: 160 }),
          delta(postpaid.issued.key.id, postpaid.project.id, { computeUnits: 1_000 }),
        ]);
        expect((await store.getProject(prepaid.project.id))?.credits).toBe(-60);
        const postpaidNow = await store.getProject(postpaid.project.id);
        expect(postpaidNow).toBeDefined();
        expect(Object.hasOwn(postpaidNow!, 'credits')).toBe(false);
        await expectCode(
          store.createProject({ name: 'bad', planId: prepaid.plan.id, credits: 0.5 }),
          'ERR_ADMIN_INVALID',
        );
      });
    });

    describe('usage', () => {
      it('adds up: flushes to the same row accumulate, within and across calls', async () => {
        const { project, issued } = await tenant({ credits: 10_000 });
        const one = delta(issued.key.id, project.id, { requests: 3, computeUnits: 30, bytes: 300 });
        await store.recordUsage([one, one]);
        await store.recordUsage([one]);
        expect(await store.queryUsage({ groupBy: ['key', 'method'] })).toStrictEqual([
          { keyId: issued.key.id, method: 'eth_call', requests: 9, computeUnits: 90, bytes: 900 },
        ]);
        expect((await store.getProject(project.id))?.credits).toBe(10_000 - 90);
        await store.recordUsage([]);
      });

      it('20 concurrent flushes add up exactly, usage and credits', async () => {
        const { project, issued } = await tenant({ credits: 1_000_000 });
        const other = await store.createKey({ projectId: project.id });
        const flush = (i: number) =>
          store.recordUsage([
            delta(issued.key.id, project.id, { requests: 1, computeUnits: 7, bytes: i }),
            delta(other.key.id, project.id, { requests: 2, computeUnits: 5, bytes: 1 }),
            delta(issued.key.id, project.id, {
              method: `method_${i % 3}`,
              requests: 1,
              computeUnits: 1,
              bytes: 0,
            }),
          ]);
        await Promise.all(Array.from({ length: 20 }, (_, i) => flush(i)));
        const [total] = await store.queryUsage({ groupBy: [] });
        expect(total).toStrictEqual({ requests: 80, computeUnits: 20 * 13, bytes: 190 + 20 });
        // Key ids are random; their order depends on the database's collation, so compare as a set.
        const byKey = await store.queryUsage({ projectId: project.id, groupBy: ['key'] });
        expect(byKey).toHaveLength(2);
        expect(byKey).toEqual(
          expect.arrayContaining([
            { keyId: issued.key.id, requests: 40, computeUnits: 160, bytes: 190 },
            { keyId: other.key.id, requests: 40, computeUnits: 100, bytes: 20 },
          ]),
        );
        expect((await store.getProject(project.id))?.credits).toBe(1_000_000 - 260);
      });

      it('balances count this UTC month only, and not refused requests', async () => {
        const { project, issued } = await tenant({ credits: 5_000 });
        const idle = await tenant({ project: 'idle' });
        const key = issued.key.id;
        await store.recordUsage([
          delta(key, project.id, { day: '2024-03-01', requests: 2, computeUnits: 20 }),
          delta(key, project.id, { day: '2024-03-20', requests: 3, computeUnits: 30 }),
          delta(key, project.id, { day: '2024-03-20', outcome: 'rpc_error', requests: 1, computeUnits: 10 }),
          delta(key, project.id, {
            day: '2024-03-20',
            outcome: 'ERR_QUOTA_EXCEEDED',
            requests: 50,
            computeUnits: 0,
          }),
          delta(key, project.id, {
            day: '2024-03-20',
            outcome: 'ERR_RATE_LIMITED',
            requests: 40,
            computeUnits: 0,
          }),
          delta(key, project.id, { day: '2024-02-29', requests: 100, computeUnits: 1_000 }),
          delta(key, project.id, { day: '2024-04-01', requests: 7, computeUnits: 70 }),
        ]);
        const found = await store.balances([project.id, idle.project.id, 'prj_missing', project.id], T0);
        expect(found.size).toBe(2);
        expect(found.get(project.id)).toStrictEqual({
          projectId: project.id,
          credits: 5_000 - 1_130,
          monthRequests: 6,
          monthComputeUnits: 60,
        });
        expect(found.get(idle.project.id)).toStrictEqual({
          projectId: idle.project.id,
          monthRequests: 0,
          monthComputeUnits: 0,
        });
        // On the last millisecond of February only February counts.
        const february = await store.balances([project.id], Date.UTC(2024, 2, 1) - 1);
        expect(february.get(project.id)).toMatchObject({ monthRequests: 100, monthComputeUnits: 1_000 });
        expect((await store.balances([], T0)).size).toBe(0);
      });

      describe('queries', () => {
        let acme: Awaited<ReturnType<typeof tenant>>;
        let globex: Awaited<ReturnType<typeof tenant>>;

        beforeEach(async () => {
          acme = await tenant();
          globex = await tenant({ project: 'globex' });
          const a = acme.issued.key.id;
          const g = globex.issued.key.id;
          await store.recordUsage([
            delta(a, acme.project.id, { day: '2024-03-18', requests: 1, computeUnits: 10, bytes: 100 }),
            delta(a, acme.project.id, { day: '2024-03-19', requests: 2, computeUnits: 20, bytes: 200 }),
            delta(a, acme.project.id, {
              day: '2024-03-19',
              network: 'base',
              requests: 4,
              computeUnits: 40,
              bytes: 400,
            }),
            delta(a, acme.project.id, {
              day: '2024-03-20',
              method: 'eth_getLogs',
              outcome: 'rpc_error',
              requests: 8,
              computeUnits: 80,
              bytes: 800,
            }),
            delta(g, globex.project.id, { day: '2024-03-19', requests: 16, computeUnits: 160, bytes: 1_600 }),
          ]);
        });

        it('groups by day', async () => {
          expect(await store.queryUsage({ groupBy: ['day'] })).toStrictEqual([
            { day: '2024-03-18', requests: 1, computeUnits: 10, bytes: 100 },
            { day: '2024-03-19', requests: 22, computeUnits: 220, bytes: 2_200 },
            { day: '2024-03-20', requests: 8, computeUnits: 80, bytes: 800 },
          ]);
        });

        it('groups by method and network, ordered by both', async () => {
          expect(await store.queryUsage({ groupBy: ['method', 'network'] })).toStrictEqual([
            { method: 'eth_call', network: 'base', requests: 4, computeUnits: 40, bytes: 400 },
            { method: 'eth_call', network: 'ethereum', requests: 19, computeUnits: 190, bytes: 1_900 },
            { method: 'eth_getLogs', network: 'ethereum', requests: 8, computeUnits: 80, bytes: 800 },
          ]);
        });

        it('with no grouping returns one total row, zeros when nothing matches', async () => {
          expect(await store.queryUsage({ groupBy: [] })).toStrictEqual([
            { requests: 31, computeUnits: 310, bytes: 3_100 },
          ]);
          expect(await store.queryUsage({ projectId: 'prj_missing', groupBy: [] })).toStrictEqual([
            { requests: 0, computeUnits: 0, bytes: 0 },
          ]);
        });

        it('filters by project, key and an inclusive day range', async () => {
          expect(await store.queryUsage({ projectId: acme.project.id, groupBy: ['project'] })).toStrictEqual([
            { projectId: acme.project.id, requests: 15, computeUnits: 150, bytes: 1_500 },
          ]);
          expect(await store.queryUsage({ keyId: globex.issued.key.id, groupBy: ['outcome'] })).toStrictEqual(
            [{ outcome: 'ok', requests: 16, computeUnits: 160, bytes: 1_600 }],
          );
          expect(
            await store.queryUsage({
              projectId: acme.project.id,
              from: '2024-03-19',
              to: '2024-03-19',
              groupBy: [],
            }),
          ).toStrictEqual([{ requests: 6, computeUnits: 60, bytes: 600 }]);
          expect(await store.queryUsage({ from: '2024-03-19', groupBy: ['outcome'] })).toStrictEqual([
            { outcome: 'ok', requests: 22, computeUnits: 220, bytes: 2_200 },
            { outcome: 'rpc_error', requests: 8, computeUnits: 80, bytes: 800 },
          ]);
          expect(await store.queryUsage({ to: '2024-03-18', groupBy: ['day', 'key'] })).toStrictEqual([
            { day: '2024-03-18', keyId: acme.issued.key.id, requests: 1, computeUnits: 10, bytes: 100 },
          ]);
        });

        it('refuses unknown dimensions and malformed days', async () => {
          const groupBy = ['day', 'requests; drop table usage_daily'] as unknown as ['day'];
          await expectCode(store.queryUsage({ groupBy }), 'ERR_ADMIN_INVALID');
          await expectCode(
            store.queryUsage({ from: "2024-03-01' or 1=1", groupBy: [] }),
            'ERR_ADMIN_INVALID',
          );
          expect(await store.queryUsage({ groupBy: [] })).toHaveLength(1);
        });
      });
    });
  });
}
