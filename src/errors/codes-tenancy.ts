/** Tenancy (who may call what, and how much) and the admin API and dashboard. */
import type { ErrorCodeSpec } from './error-code-spec.js';

export const TENANCY_CODES = {
  // Tenancy: who may call what, and how much.
  ERR_AUTH_MISSING_KEY: {
    rpc: -32001,
    http: 401,
    retry: 'none',
    summary: 'The network requires an API key and the request carries none.',
  },
  ERR_AUTH_INVALID_KEY: {
    rpc: -32001,
    http: 401,
    retry: 'none',
    summary: 'The API key is unknown, revoked or expired.',
  },
  ERR_NETWORK_NOT_ALLOWED: {
    rpc: -32003,
    http: 403,
    retry: 'none',
    summary: "The key's plan does not include this network.",
  },
  ERR_INVALID_METHOD_NAME: {
    rpc: -32601,
    http: 400,
    retry: 'none',
    summary: 'The method name is not 1–64 characters of A–Z, a–z, 0–9 and _, so no method has it.',
  },
  ERR_METHOD_NOT_ALLOWED: {
    rpc: -32003,
    http: 403,
    retry: 'none',
    summary: "The key's plan does not allow this method.",
  },
  ERR_CREDITS_EXHAUSTED: {
    rpc: -32002,
    http: 402,
    retry: 'none',
    summary: "The project's prepaid credits cannot pay for the request.",
  },
  ERR_QUOTA_EXCEEDED: {
    rpc: -32002,
    http: 402,
    retry: 'none',
    summary: "The project's monthly quota is used up.",
  },
  ERR_RATE_LIMITED: {
    rpc: -32005,
    http: 429,
    retry: 'none',
    summary: 'The key (or client IP) sends faster than its plan allows; see Retry-After.',
  },
  ERR_TENANCY_UNAVAILABLE: {
    rpc: -32603,
    http: 503,
    retry: 'none',
    summary: 'The key could not be checked because the database or Redis did not answer.',
  },
  // Admin API.
  ERR_ADMIN_UNAUTHORIZED: {
    rpc: -32001,
    http: 401,
    retry: 'none',
    summary: 'The admin API needs `Authorization: Bearer <admin token>`.',
  },
  ERR_DASHBOARD_UNAUTHORIZED: {
    rpc: -32001,
    http: 401,
    retry: 'none',
    summary: 'The dashboard API needs a session: sign in at /dashboard with the admin token or an API key.',
  },
  ERR_DASHBOARD_INVALID: {
    rpc: -32602,
    http: 400,
    retry: 'none',
    summary:
      'The dashboard sign-in form was not sent as a form with a token field, or a dashboard API query is invalid.',
  },
  ERR_DASHBOARD_FORBIDDEN: {
    rpc: -32003,
    http: 403,
    retry: 'none',
    summary: "A project's dashboard session asked for another project's data, or for an admin-only view.",
  },
  ERR_DASHBOARD_LOCKED: {
    rpc: -32005,
    http: 429,
    retry: 'none',
    summary: 'Too many failed dashboard sign-ins from this address: it is locked out for a while.',
  },
  ERR_DASHBOARD_NOT_FOUND: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'No project or transfer the dashboard session may see matches.',
  },
  ERR_DASHBOARD_RELAYER_OFF: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'The dashboard was asked for transfers, but the relayer is off on this gateway.',
  },
  ERR_DASHBOARD_BUSY: {
    rpc: -32005,
    http: 503,
    retry: 'none',
    summary: 'This worker already serves its maximum of live dashboard streams.',
  },
  ERR_ADMIN_INVALID: {
    rpc: -32602,
    http: 400,
    retry: 'none',
    summary: 'The admin request body or query is invalid; `data.issues` lists each field.',
  },
  ERR_ADMIN_NOT_FOUND: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'No such project, plan or key.',
  },
  ERR_ADMIN_CONFLICT: {
    rpc: -32009,
    http: 409,
    retry: 'none',
    summary: 'The change conflicts with existing data (a duplicate name, a plan still in use).',
  },
} as const satisfies Record<string, ErrorCodeSpec>;
