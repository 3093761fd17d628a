/**
 * One HTTP request's standing with the tenancy layer: who it is (a key, or a keyless client
 * IP), and per JSON-RPC item whether it may run — network and method in the plan (403),
 * credits and monthly quota (402), rate limit (429), in that order so a refused request never
 * spends a rate-limit token — and what it cost once served.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { RateDecision, RateLimiter, RateRule } from '../ratelimit/limiter.js';
import type { ResponseHeaders } from '../server/http1/exchange.js';
import type { KeyEntry } from './key-cache.js';
import { REFUSED_OUTCOMES } from './model.js';
import type { UsageMeter } from './usage-meter.js';

type Refusal = GatewayError | undefined;

export class Access {
  /** The key bucket's last decision, for the RateLimit-* headers. */
  private decision: RateDecision | undefined;
  /** Largest Retry-After among refused items. */
  private retryAfter = 0;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly meter: UsageMeter | undefined,
    readonly network: string,
    readonly entry: KeyEntry | undefined,
    /** Keyless requests only: the per-IP bucket and its rule. */
    private readonly keylessBucket: string | undefined,
    private readonly keylessRule: RateRule | undefined,
  ) {}

  /** undefined = admitted (and charged); a GatewayError = refused; a promise with Redis. */
  admit(method: string): Refusal | Promise<Refusal> {
    const entry = this.entry;
    if (entry === undefined) {
      if (this.keylessRule === undefined) return undefined;
      return this.limit(this.keylessBucket!, this.keylessRule, 0);
    }
    const rules = entry.rules;
    if (!rules.allowsNetwork(this.network))
      return new GatewayError(
        'ERR_NETWORK_NOT_ALLOWED',
        `the key's plan does not include network "${this.network}"`,
      );
    if (!rules.allowsMethod(method))
      return new GatewayError('ERR_METHOD_NOT_ALLOWED', `the key's plan does not allow ${method}`);
    const account = entry.account;
    const cost = rules.units.cost(method);
    const credits = account.creditsLeft();
    if (credits !== undefined && credits < cost)
      return new GatewayError('ERR_CREDITS_EXHAUSTED', 'prepaid credits are used up; top up the project', {
        data: { credits: Math.max(0, credits), cost },
      });
    const quota = rules.quota;
    if (
      quota !== undefined &&
      account.monthUsed(quota.unit) + (quota.unit === 'requests' ? 1 : cost) > quota.limit
    )
      return new GatewayError('ERR_QUOTA_EXCEEDED', 'the monthly quota is used up', {
        data: { quota: quota.limit, unit: quota.unit },
      });
    // Reserve before any await, so concurrent requests cannot all pass the same balance.
    account.servedRequests++;
    account.servedComputeUnits += cost;
    const rate = rules.rate;
    if (rate === undefined) return undefined;
    // Per method: each method of the key has its own budget (a burst of eth_getLogs cannot
    // starve eth_call), instead of one bucket for the whole key.
    return this.limit(rules.ratePerMethod ? `${entry.rateKey}:${method}` : entry.rateKey, rate, cost);
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
      method,
      outcome,
      charged ? entry.rules.units.cost(method) : 0,
      bytes,
    );
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

  private limit(bucket: string, rule: RateRule, cost: number): Refusal | Promise<Refusal> {
    return this.settle(this.limiter.consume(bucket, rule), cost);
  }

  private settle(decision: RateDecision | Promise<RateDecision>, cost: number): Refusal | Promise<Refusal> {
    if (decision instanceof Promise) return decision.then((settled) => this.decide(settled, cost));
    return this.decide(decision, cost);
  }

  private decide(decision: RateDecision, cost: number): Refusal {
    this.decision = decision;
    return decision.allowed ? undefined : this.refuse(decision, cost);
  }

  private refuse(decision: RateDecision, cost: number): GatewayError {
    // Not served after all: give back the reservation.
    const account = this.entry?.account;
    if (account !== undefined) {
      account.servedRequests--;
      account.servedComputeUnits -= cost;
    }
    if (decision.retryAfterSeconds > this.retryAfter) this.retryAfter = decision.retryAfterSeconds;
    return new GatewayError('ERR_RATE_LIMITED', 'rate limit exceeded; retry after the Retry-After delay', {
      data: { retryAfterSeconds: decision.retryAfterSeconds, limit: decision.limit },
    });
  }
}
