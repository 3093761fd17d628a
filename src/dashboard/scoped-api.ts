/**
 * The dashboard's reads of stored data, each limited to the session's scope: the admin reads
 * every project (or one, with `project=<id>`); a project's session reads only its own project,
 * and naming another in `project=` is refused 403 ERR_DASHBOARD_FORBIDDEN. A project session is
 * checked against its key on every call, so revoking the key (or its expiry) ends the session.
 *
 *   GET /dashboard/api/session                      who is signed in
 *   GET /dashboard/api/project[?project=]           usage, limits, credits, keys (project-overview.ts)
 *   GET /dashboard/api/transfers[?project=&status=&before=&limit=]   newest first
 *   GET /dashboard/api/transfers/search?q=[&project=]                transfer-search.ts
 */
import { GatewayError } from '../errors/gateway-error.js';
import { readQuery } from '../http/json-io.js';
import type { TransferRecord, TransferState } from '../relayer/model.js';
import type { RelayerStore } from '../relayer/relayer-store.js';
import type { TenancyStore } from '../tenancy/model.js';
import { projectOverview } from './project-overview.js';
import type { SessionScope } from './session.js';
import { type SearchScope, searchTransfers } from './transfer-search.js';

export const SCOPED_PATHS = new Set([
  '/dashboard/api/session',
  '/dashboard/api/project',
  '/dashboard/api/transfers',
  '/dashboard/api/transfers/search',
]);

export interface ScopedSources {
  /** The tenancy store; undefined with tenancy off. */
  readonly tenancy: () => TenancyStore | undefined;
  /** The relayer store once open; undefined before, and with the relayer off. */
  readonly relayer: () => RelayerStore | undefined;
  readonly relayerEnabled: boolean;
}

const PROJECT_ID = /^prj_[0-9A-Za-z]{1,40}$/;
const TRANSFER_ID = /^tr_[0-9A-Za-z]{20}$/;
const STATES: readonly TransferState[] = [
  'accepted',
  'batched',
  'signed',
  'submitted',
  'confirmed',
  'failed',
];
const MAX_LIST = 100;
const DEFAULT_LIST = 25;

/** The JSON text answering one scoped path; rejects with a GatewayError to refuse. */
export async function scopedAnswer(
  sources: ScopedSources,
  scope: SessionScope,
  path: string,
  url: string,
): Promise<string> {
  return JSON.stringify(await answer(sources, scope, path, url), bigints);
}

/** Amounts and fees are bigints: JSON has them as decimal strings. */
function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

async function answer(
  sources: ScopedSources,
  scope: SessionScope,
  path: string,
  url: string,
): Promise<unknown> {
  const query = readQuery(url);
  const tenancy = sources.tenancy();
  const project = scope.kind === 'project' ? await checkProjectSession(tenancy, scope) : undefined;
  const projectId = requestedProject(scope, query.project);
  switch (path) {
    case '/dashboard/api/session':
      return scope.kind === 'admin'
        ? { scope: 'admin', relayer: sources.relayerEnabled, tenancy: tenancy !== undefined }
        : { scope: 'project', project, keyId: scope.keyId, relayer: sources.relayerEnabled };
    case '/dashboard/api/project': {
      if (tenancy === undefined)
        throw new GatewayError('ERR_DASHBOARD_NOT_FOUND', 'tenancy is off: there are no projects');
      if (projectId === undefined)
        throw new GatewayError('ERR_DASHBOARD_INVALID', 'project: a project id (prj_…)');
      const overview = await projectOverview(tenancy, projectId);
      if (overview === undefined)
        throw new GatewayError('ERR_DASHBOARD_NOT_FOUND', `no project ${projectId}`);
      return overview;
    }
    case '/dashboard/api/transfers':
      return listTransfers(relayerStore(sources), projectId, query);
    default: {
      const store = relayerStore(sources);
      const searchScope: SearchScope = projectId === undefined ? 'all' : [projectId];
      return searchTransfers(
        {
          store,
          scope: searchScope,
          allProjects: async () => (await tenancy?.listProjects())?.map((p) => p.id) ?? [],
        },
        query.q ?? '',
      );
    }
  }
}

/** The project a call reads: a project session's own; the admin's choice (undefined = all). */
function requestedProject(scope: SessionScope, asked: string | undefined): string | undefined {
  if (asked !== undefined && !PROJECT_ID.test(asked))
    throw new GatewayError('ERR_DASHBOARD_INVALID', 'project: a project id (prj_…)');
  if (scope.kind === 'admin') return asked;
  if (asked !== undefined && asked !== scope.projectId)
    throw new GatewayError('ERR_DASHBOARD_FORBIDDEN', 'this session may read only its own project');
  return scope.projectId;
}

/** The session's key must still be valid and still belong to the project; its project's name. */
async function checkProjectSession(
  tenancy: TenancyStore | undefined,
  scope: Extract<SessionScope, { kind: 'project' }>,
): Promise<{ id: string; name: string }> {
  const ended = () =>
    new GatewayError(
      'ERR_DASHBOARD_UNAUTHORIZED',
      'the API key of this session is revoked or expired; sign in again',
    );
  if (tenancy === undefined) throw ended();
  const [key, project] = await Promise.all([
    tenancy.getKey(scope.keyId),
    tenancy.getProject(scope.projectId),
  ]);
  const now = Date.now();
  if (
    key === undefined ||
    project === undefined ||
    key.projectId !== scope.projectId ||
    project.id !== scope.projectId ||
    (key.revokedAt !== undefined && key.revokedAt <= now) ||
    (key.expiresAt !== undefined && key.expiresAt <= now)
  )
    throw ended();
  return { id: project.id, name: project.name };
}

function relayerStore(sources: ScopedSources): RelayerStore {
  if (!sources.relayerEnabled)
    throw new GatewayError(
      'ERR_DASHBOARD_RELAYER_OFF',
      'the relayer is off on this gateway (relayer.enabled: false)',
    );
  const store = sources.relayer();
  if (store === undefined)
    throw new GatewayError('ERR_RELAYER_UNAVAILABLE', 'the relayer is starting; retry shortly');
  return store;
}

async function listTransfers(
  store: RelayerStore,
  projectId: string | undefined,
  query: Record<string, string>,
): Promise<unknown> {
  const { status, before } = query;
  const limit = query.limit === undefined ? DEFAULT_LIST : Number(query.limit);
  if (status !== undefined && !STATES.includes(status as TransferState))
    throw new GatewayError('ERR_DASHBOARD_INVALID', `status: one of ${STATES.join(', ')}`);
  if (before !== undefined && !TRANSFER_ID.test(before))
    throw new GatewayError('ERR_DASHBOARD_INVALID', 'before: a transfer id (tr_…)');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST)
    throw new GatewayError('ERR_DASHBOARD_INVALID', `limit: an integer from 1 to ${MAX_LIST}`);
  const records = await store.listTransfers({
    ...(projectId !== undefined && { projectId }),
    ...(status !== undefined && { state: status as TransferState }),
    ...(before !== undefined && { before }),
    limit: limit + 1,
  });
  const page = records.slice(0, limit);
  return {
    transfers: page.map(listedTransfer),
    nextBefore: records.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

function listedTransfer(record: TransferRecord) {
  return {
    id: record.id,
    projectId: record.projectId,
    state: record.state,
    token: record.token,
    to: record.to,
    amount: record.amount.toString(),
    txHash: record.txHash,
    errorCode: record.errorCode,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
