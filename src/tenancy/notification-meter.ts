/**
 * Metering of the `eth_subscription` notifications one keyed socket sends. A block can fan out
 * to tens of thousands of notifications, so the send path does no Map lookup and writes no
 * usage series: `take()` checks and reserves one notification's compute units on the project's
 * account (a few field reads, like a request's admission), and the socket's sweep (every
 * 250 ms) and its close hand the sum to the usage meter in one `record`. Every reserved
 * notification is either given back (not sent) or flushed exactly once.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { KeyEntry } from './key-cache.js';
import type { PlanRules } from './plan-rules.js';
import type { UsageMeter } from './usage-meter.js';

/** The usage method of a notification, priced like a method in the plan's compute-unit table. */
export const NOTIFICATION_METHOD = 'eth_subscription';

export class NotificationMeter {
  /** The rules `cost` was read from: a plan edit is picked up at the next flush. */
  private rules: PlanRules;
  private cost: number;
  private pending = 0;
  private pendingUnits = 0;
  private pendingBytes = 0;

  constructor(
    private readonly entry: KeyEntry,
    private readonly meter: UsageMeter,
    private readonly network: string,
  ) {
    this.rules = entry.rules;
    this.cost = this.rules.units.cost(NOTIFICATION_METHOD);
  }

  /** Compute units of one notification now. */
  get unitCost(): number {
    return this.cost;
  }

  /**
   * Reserves one notification on the project's credits and quota; the 402 error when they
   * cannot pay it (the subscription ends with it). Call `sent` or `giveBack` right after.
   */
  take(): GatewayError | undefined {
    const account = this.entry.account;
    const cost = this.cost;
    const credits = account.credits;
    if (credits !== undefined && credits - account.pendingComputeUnits() < cost)
      return new GatewayError('ERR_CREDITS_EXHAUSTED', 'prepaid credits are used up; top up the project', {
        data: { credits: Math.max(0, credits - account.pendingComputeUnits()), cost },
      });
    const quota = this.rules.quota;
    if (
      quota !== undefined &&
      account.monthUsed(quota.unit) + (quota.unit === 'requests' ? 1 : cost) > quota.limit
    )
      return new GatewayError('ERR_QUOTA_EXCEEDED', 'the monthly quota is used up', {
        data: { quota: quota.limit, unit: quota.unit },
      });
    account.servedRequests++;
    account.servedComputeUnits += cost;
    this.pending++;
    this.pendingUnits += cost;
    return undefined;
  }

  /** The notification reserved by `take` went out, `bytes` long. */
  sent(bytes: number): void {
    this.pendingBytes += bytes;
  }

  /** The notification reserved by `take` was not sent after all. */
  giveBack(): void {
    const account = this.entry.account;
    const cost = this.cost;
    account.servedRequests--;
    account.servedComputeUnits -= cost;
    this.pending--;
    this.pendingUnits -= cost;
  }

  /** Notifications reserved since the last flush. */
  get unflushed(): number {
    return this.pending;
  }

  /** Hands what was sent since the last flush to the usage meter as one series update. */
  flush(): void {
    const { entry } = this;
    if (entry.rules !== this.rules) {
      this.rules = entry.rules;
      this.cost = this.rules.units.cost(NOTIFICATION_METHOD);
    }
    if (this.pending === 0) return;
    this.meter.record(
      entry.account,
      entry.grant.key.id,
      this.network,
      this.rules.usageLabels.label(NOTIFICATION_METHOD),
      'ok',
      this.pendingUnits,
      this.pendingBytes,
      this.pending,
    );
    this.pending = 0;
    this.pendingUnits = 0;
    this.pendingBytes = 0;
  }
}
