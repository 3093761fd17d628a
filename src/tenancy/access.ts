/**
 * One HTTP request's standing with the tenancy layer: who it is (a key, or a keyless client
 * IP), and per JSON-RPC item whether it may run — with a key, a well-formed method name (400),
 * network and method in the plan (403), credits and monthly quota (402, for a batch all its
 * items at once); then the rate limit (429); in that order so a refused request never spends a
 * rate-limit token — and what it cost once served.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { ResponseHeaders } from '../http/exchange.js';
import type { RateDecision, RateLimiter, RateRule } from '../ratelimit/limiter.js';
import { isMethodName, MAX_METHOD_NAME } from '../rpc/method-labels.js';
import { chargeAccount } from './account-charge.js';
import type { KeyEntry } from './key-cache.js';
import { REFUSED_OUTCOMES } from './model.js';
import { NotificationMeter } from './notification-meter.js';
import type { PlanRules } from './plan-rules.js';
import type { UsageMeter } from './usage-meter.js';

type Refusal = GatewayError | undefined;

export class Access {
  /** The key bucket's last decision, for the RateLimit-* headers. */
  private decision: RateDecision | undefined;
  /** Largest Retry-After among refused items. */
  private retryAfter = 0;
  /** Set by `admitBatch`: the items' credits and quota are reserved already. */
  private batchReserved = false;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly meter: UsageMeter | undefined,
    readonly network: string,
    readonly entry: KeyEntry | undefined,
    /** Keyless requests only: the per-IP bucket and its rule. */
    private readonly keylessBucket: string | undefined,
    private readonly keylessRule: RateRule | undefined,
  ) {}

  /**
   * undefined = admitted (and charged); a GatewayError = refused; a promise with Redis.
   * `units` > 1 admits that many calls of `method` at once (one relayer POST of many
   * transfers): all are charged to credits and quota, or none; one rate-limit token.
   */
  admit(method: string, units = 1): Refusal | Promise<Refusal> {
    const entry = this.entry;
    if (entry === undefined) {
      if (this.keylessRule === undefined) return undefined;
      return this.limit(this.keylessBucket!, this.keylessRule, 0, 0);
    }
    const rules = entry.rules;
    const refused = this.planRefusal(rules, method);
    if (refused !== undefined) return refused;
    const cost = rules.units.cost(method) * units;
    // A batch reserved its items' balance in `admitBatch`: only the rate limit is left.
    if (!this.batchReserved) {
      const overdrawn = chargeAccount(entry, units, cost);
      if (overdrawn !== undefined) return overdrawn;
    }
    const rate = rules.rate;
    if (rate === undefined) return undefined;
    // Per method: each method of the key has its own budget (a burst of eth_getLogs cannot
    // starve eth_call), instead of one bucket for the whole key.
    const bucket = rules.ratePerMethod ? `${entry.rateKey}:${method}` : entry.rateKey;
    return this.limit(bucket, rate, units, cost);
  }

  /**
   * A JSON-RPC batch's credits and quota, checked and reserved for the whole batch before any
   * item runs: a batch that would overdraw is refused as a whole (nothing of it is forwarded).
   * Items the plan refuses anyway (network, method, name) are not counted. Then each item's
   * `admit` checks only its plan and rate limit; a rate-limited item gives its share back.
   */
  admitBatch(methods: readonly string[]): GatewayError | undefined {
    const entry = this.entry;
    if (entry === undefined) return undefined;
    const rules = entry.rules;
    let requests = 0;
    let cost = 0;
    for (const method of methods) {
      if (this.planRefusal(rules, method) !== undefined) continue;
      requests++;
      cost += rules.units.cost(method);
    }
    // Nothing to pay for: each item gets its own refusal.
    if (requests === 0) return undefined;
    const overdrawn = chargeAccount(entry, requests, cost);
    if (overdrawn === undefined) this.batchReserved = true;
    return overdrawn;
  }

  /** Meters one served (or refused) item. Keyless requests are not metered. */
  record(method: string, outcome: string, bytes: number): void {
    const entry = this.entry;
    if (entry === undefined || this.meter === undefined) return;
    const charged = !REFUSED_OUTCOMES.has(outcome);
    this.meter.record(
      entry.account,
      entry.grant.key.id,
      this.network,
      entry.rules.usageLabels.label(method),
      outcome,
      charged ? entry.rules.units.cost(method) : 0,
      bytes,
    );
  }

  /** A keyed, metered socket's notification meter (notification-meter.ts); undefined otherwise. */
  notificationMeter(): NotificationMeter | undefined {
    const entry = this.entry;
    if (entry === undefined || this.meter === undefined) return undefined;
    return new NotificationMeter(entry, this.meter, this.network);
  }

  writeHeaders(headers: ResponseHeaders): void {
    const decision = this.decision;
    if (decision !== undefined) {
      headers['ratelimit-limit'] = decision.limit;
      headers['ratelimit-remaining'] = decision.remaining;
      headers['ratelimit-reset'] = decision.resetSeconds;
    }
    if (this.retryAfter > 0) headers['retry-after'] = this.retryAfter;
  }

  private planRefusal(rules: PlanRules, method: string): GatewayError | undefined {
    // Metered requests only (keyless ones write no usage rows): a known name is well-formed.
    if (!rules.usageLabels.isKnown(method) && !isMethodName(method)) return invalidMethodName(method);
    if (!rules.allowsNetwork(this.network))
      return new GatewayError(
        'ERR_NETWORK_NOT_ALLOWED',
        `the key's plan does not include network "${this.network}"`,
      );
    if (!rules.allowsMethod(method))
      return new GatewayError('ERR_METHOD_NOT_ALLOWED', `the key's plan does not allow ${method}`);
    return undefined;
  }

  private limit(bucket: string, rule: RateRule, requests: number, cost: number): Refusal | Promise<Refusal> {
    const decision = this.limiter.consume(bucket, rule);
    if (decision instanceof Promise) return decision.then((settled) => this.decide(settled, requests, cost));
    return this.decide(decision, requests, cost);
  }

  private decide(decision: RateDecision, requests: number, cost: number): Refusal {
    this.decision = decision;
    return decision.allowed ? undefined : this.refuse(decision, requests, cost);
  }

  private refuse(decision: RateDecision, requests: number, cost: number): GatewayError {
    // Not served after all: give back the reservation.
    const account = this.entry?.account;
    if (account !== undefined) {
      account.servedRequests -= requests;
      account.servedComputeUnits -= cost;
    }
    if (decision.retryAfterSeconds > this.retryAfter) this.retryAfter = decision.retryAfterSeconds;
    return new GatewayError('ERR_RATE_LIMITED', 'rate limit exceeded; retry after the Retry-After delay', {
      data: { retryAfterSeconds: decision.retryAfterSeconds, limit: decision.limit },
    });
  }
}

function invalidMethodName(method: string): GatewayError {
  // Quote only the start: the name may be as long as the body.
  const shown = method.length > MAX_METHOD_NAME ? `${method.slice(0, MAX_METHOD_NAME)}…` : method;
  return new GatewayError(
    'ERR_INVALID_METHOD_NAME',
    `no method is named ${JSON.stringify(shown)}: a method name is 1–${MAX_METHOD_NAME} characters of A–Z, a–z, 0–9 and _`,
  );
}
