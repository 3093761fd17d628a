/**
 * Finding the rows a request names. A row named in the URL that does not exist is a 404; one
 * named in the body or query is a field-level 400, pointing at the field.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { invalidRequest } from '../http/validation.js';
import type { ApiKey, Plan, Project, TenancyStore } from '../tenancy/model.js';

export async function findPlan(store: TenancyStore, idOrName: string): Promise<Plan> {
  const plan = await store.getPlan(idOrName);
  if (plan === undefined) throw notFound('plan', idOrName);
  return plan;
}

export async function findProject(store: TenancyStore, idOrName: string): Promise<Project> {
  const project = await store.getProject(idOrName);
  if (project === undefined) throw notFound('project', idOrName);
  return project;
}

export async function findKey(store: TenancyStore, id: string): Promise<ApiKey> {
  const key = await store.getKey(id);
  if (key === undefined) throw notFound('key', id);
  return key;
}

/** The plan a body field names (id or name). */
export async function referencedPlan(store: TenancyStore, idOrName: string, field: string): Promise<Plan> {
  const plan = await store.getPlan(idOrName);
  if (plan === undefined) throw invalidRequest([{ path: field, message: `no plan "${idOrName}"` }]);
  return plan;
}

/** The project a body or query field names (id or name). */
export async function referencedProject(
  store: TenancyStore,
  idOrName: string,
  field: string,
): Promise<Project> {
  const project = await store.getProject(idOrName);
  if (project === undefined) throw invalidRequest([{ path: field, message: `no project "${idOrName}"` }]);
  return project;
}

export async function referencedKey(store: TenancyStore, id: string, field: string): Promise<ApiKey> {
  const key = await store.getKey(id);
  if (key === undefined) throw invalidRequest([{ path: field, message: `no key "${id}"` }]);
  return key;
}

function notFound(what: 'plan' | 'project' | 'key', idOrName: string): GatewayError {
  return new GatewayError('ERR_ADMIN_NOT_FOUND', `no ${what} "${idOrName}"`);
}
