/**
 * Consistency across upstreams for the whole gateway (docs/consistency.md): one session store
 * per network, the directive policy, and `open`, which gives one HTTP request its
 * RequestConsistency — or undefined when consistency is off, so the request path is untouched.
 */
import type { ConsistencyConfig } from '../../config/consistency-schema.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { RequestHeaders } from '../../http/exchange.js';
import type { RedisClient } from '../../store/redis.js';
import type { Access } from '../../tenancy/access.js';
import type { Upstream } from '../../upstream/upstream.js';
import type { Network } from '../network.js';
import { DirectivePolicy, readDirectives, readSessionHeader } from './directives.js';
import { RequestConsistency } from './request-consistency.js';
import { SessionStore } from './session-store.js';
import { SharedMarks } from './shared-marks.js';
import { SharedSends } from './shared-sends.js';

export interface ConsistencyOptions {
  readonly config: ConsistencyConfig;
  readonly networks: Iterable<Network>;
  /** Shares session marks across instances when set (and `sessions.shared` is on). */
  readonly redis?: RedisClient | undefined;
  readonly redisKeyPrefix?: string;
}

export class Consistency {
  readonly shared: SharedMarks | undefined;
  private readonly stores = new Map<Network, SessionStore>();
  private readonly policy: DirectivePolicy;
  private readonly config: ConsistencyConfig;

  constructor(options: ConsistencyOptions) {
    const { config } = options;
    this.config = config;
    this.policy = new DirectivePolicy(config.directives);
    this.shared =
      options.redis !== undefined && config.sessions.shared
        ? new SharedMarks(options.redis, options.redisKeyPrefix ?? 'turnpike:')
        : undefined;
    const shared = this.shared;
    const sends =
      shared !== undefined && config.readYourWrites.enabled
        ? new SharedSends(options.redis as RedisClient, options.redisKeyPrefix ?? 'turnpike:', () => {
            shared.failures++;
          })
        : undefined;
    for (const network of options.networks)
      this.stores.set(network, new SessionStore(network.name, config, shared, sends));
  }

  /** Sessions this process holds for a network (metrics, tests). */
  sessionCount(network: Network): number {
    return this.stores.get(network)?.size ?? 0;
  }

  /** Each network's session store (metrics read their sizes and counters at scrape time). */
  sessionStores(): IterableIterator<SessionStore> {
    return this.stores.values();
  }

  /**
   * The request's consistency: its session (API key, else client IP; narrowed by
   * `X-Turnpike-Session`) and its directives, checked against the plan. Throws the refusal.
   */
  open(
    network: Network,
    headers: RequestHeaders,
    access: Access | undefined,
    clientIp: string | undefined,
  ): RequestConsistency | undefined {
    const store = this.stores.get(network);
    if (store === undefined) return undefined;
    const directives = readDirectives(headers);
    if (directives !== undefined) this.policy.check(directives, access);
    const named = this.config.sessions.header ? readSessionHeader(headers) : undefined;
    const keyId = access?.entry?.grant.key.id;
    const owner = keyId === undefined ? `ip:${clientIp ?? 'unknown'}` : `k:${keyId}`;
    // A named session stays within its key (keyless: the name alone, so it survives new IPs).
    const session = named === undefined ? owner : keyId === undefined ? `s:${named}` : `${owner}:s:${named}`;
    const only = directives?.upstream === undefined ? undefined : upstreamNamed(network, directives.upstream);
    return new RequestConsistency(
      network,
      store,
      session,
      directives,
      this.config.readYourWrites.enabled,
      only,
    );
  }
}

function upstreamNamed(network: Network, id: string): Upstream {
  for (const upstream of network.upstreams) if (upstream.id === id) return upstream;
  throw new GatewayError(
    'ERR_DIRECTIVE_INVALID',
    `X-Turnpike-Upstream: network ${network.name} has no upstream "${id}" (it has ${network.upstreams.map((u) => u.id).join(', ')})`,
    { data: { header: 'X-Turnpike-Upstream' } },
  );
}
