/**
 * The directive headers of one HTTP request (docs/consistency.md#directives), read only when
 * consistency is on, and whether the caller's plan may use them. A bad value or a directive the
 * plan does not allow refuses the whole request before any item runs.
 */
import type { ConsistencyConfig, DirectiveName } from '../../config/consistency-schema.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { RequestHeaders } from '../../http/exchange.js';
import type { Access } from '../../tenancy/access.js';

export interface Directives {
  /** `X-Turnpike-Upstream`: an upstream id of the network. */
  readonly upstream: string | undefined;
  /** `X-Turnpike-Skip-Cache: true`. */
  readonly skipCache: boolean;
  /** `X-Turnpike-Min-Block`; 0 = none. */
  readonly minBlock: number;
  /** `X-Turnpike-Max-Lag`; -1 = none. */
  readonly maxLag: number;
  /** `X-Turnpike-Debug: attempts`. */
  readonly attempts: boolean;
}

const MAX_SESSION_CHARS = 128;
const QUANTITY = /^(?:0x[0-9a-fA-F]{1,13}|[0-9]{1,15})$/;

/** The request's directives; undefined when it carries none (the common case). */
export function readDirectives(headers: RequestHeaders): Directives | undefined {
  const upstream = headers['x-turnpike-upstream'];
  const skip = headers['x-turnpike-skip-cache'];
  const minBlock = headers['x-turnpike-min-block'];
  const maxLag = headers['x-turnpike-max-lag'];
  const debug = headers['x-turnpike-debug'];
  if (
    upstream === undefined &&
    skip === undefined &&
    minBlock === undefined &&
    maxLag === undefined &&
    debug === undefined
  )
    return undefined;
  if (upstream !== undefined && upstream.trim() === '')
    throw invalid('X-Turnpike-Upstream', upstream, 'an upstream id');
  if (debug !== undefined && debug.trim().toLowerCase() !== 'attempts')
    throw invalid('X-Turnpike-Debug', debug, '"attempts"');
  return {
    upstream: upstream?.trim(),
    skipCache: skip === undefined ? false : truth(skip),
    minBlock: minBlock === undefined ? 0 : blockCount('X-Turnpike-Min-Block', minBlock),
    maxLag: maxLag === undefined ? -1 : blockCount('X-Turnpike-Max-Lag', maxLag),
    attempts: debug !== undefined,
  };
}

/** `X-Turnpike-Session`, checked; undefined when absent. */
export function readSessionHeader(headers: RequestHeaders): string | undefined {
  const value = headers['x-turnpike-session'];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > MAX_SESSION_CHARS)
    throw invalid('X-Turnpike-Session', value, `1–${MAX_SESSION_CHARS} characters`);
  return trimmed;
}

/** Which directives each plan (by name or id), keyless requests and unlisted plans may use. */
export class DirectivePolicy {
  private readonly keyless: ReadonlySet<DirectiveName>;
  private readonly fallback: ReadonlySet<DirectiveName>;
  private readonly plans: ReadonlyMap<string, ReadonlySet<DirectiveName>>;

  constructor(config: ConsistencyConfig['directives']) {
    this.keyless = new Set(config.keyless);
    this.fallback = new Set(config.default);
    this.plans = new Map(Object.entries(config.plans).map(([plan, list]) => [plan, new Set(list)]));
  }

  /** Throws ERR_DIRECTIVE_NOT_ALLOWED for the first directive the caller may not use. */
  check(directives: Directives, access: Access | undefined): void {
    const allowed = this.allowedFor(access);
    const refuse = (name: DirectiveName, header: string) => {
      if (allowed.has(name)) return;
      throw new GatewayError(
        'ERR_DIRECTIVE_NOT_ALLOWED',
        access?.entry === undefined
          ? `keyless requests may not use ${header}`
          : `the key's plan "${access.entry.rules.plan.name}" does not allow ${header}`,
        { data: { directive: name } },
      );
    };
    if (directives.upstream !== undefined) refuse('upstream', 'X-Turnpike-Upstream');
    if (directives.skipCache) refuse('skip-cache', 'X-Turnpike-Skip-Cache');
    if (directives.minBlock > 0) refuse('min-block', 'X-Turnpike-Min-Block');
    if (directives.maxLag >= 0) refuse('max-lag', 'X-Turnpike-Max-Lag');
    if (directives.attempts) refuse('attempts', 'X-Turnpike-Debug');
  }

  private allowedFor(access: Access | undefined): ReadonlySet<DirectiveName> {
    const entry = access?.entry;
    if (entry === undefined) return this.keyless;
    const plan = entry.rules.plan;
    return this.plans.get(plan.name) ?? this.plans.get(plan.id) ?? this.fallback;
  }
}

function truth(value: string): boolean {
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw invalid('X-Turnpike-Skip-Cache', value, 'true, 1, false or 0');
}

function blockCount(header: string, value: string): number {
  const trimmed = value.trim();
  if (!QUANTITY.test(trimmed)) throw invalid(header, value, 'a non-negative integer (decimal or 0x hex)');
  const parsed = Number(trimmed);
  if (!Number.isSafeInteger(parsed))
    throw invalid(header, value, 'a non-negative integer (decimal or 0x hex)');
  return parsed;
}

function invalid(header: string, value: string, expected: string): GatewayError {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return new GatewayError(
    'ERR_DIRECTIVE_INVALID',
    `${header}: expected ${expected}, got ${JSON.stringify(shown)}`,
    {
      data: { header },
    },
  );
}
