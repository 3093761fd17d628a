/** Plans and projects named on the command line by id or name; a miss is ERR_ADMIN_NOT_FOUND (exit 1). */
import { GatewayError } from '../../errors/gateway-error.js';
import type { ApiKey, Plan, Project, TenancyStore } from '../../tenancy/model.js';

export async function findPlan(store: TenancyStore, idOrName: string): Promise<Plan> {
  const plan = await store.getPlan(idOrName);
  if (plan === undefined)
    throw new GatewayError('ERR_ADMIN_NOT_FOUND', `no plan with id or name "${idOrName}"`);
  return plan;
}

export async function findProject(store: TenancyStore, idOrName: string): Promise<Project> {
  const project = await store.getProject(idOrName);
  if (project === undefined)
    throw new GatewayError('ERR_ADMIN_NOT_FOUND', `no project with id or name "${idOrName}"`);
  return project;
}

export async function findKey(store: TenancyStore, id: string): Promise<ApiKey> {
  const key = await store.getKey(id);
  if (key === undefined) throw new GatewayError('ERR_ADMIN_NOT_FOUND', `no key with id "${id}"`);
  return key;
}
