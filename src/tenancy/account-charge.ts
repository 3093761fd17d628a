/** The one credits-and-quota check of a key's project, shared by requests and socket notifications. */
import { GatewayError } from '../errors/gateway-error.js';
import type { KeyEntry } from './key-cache.js';

/**
 * Checks that `requests` calls costing `cost` in all fit the key's credits and monthly quota,
 * and reserves them. No await between the check and the reservation, so concurrent requests
 * of this process cannot all pass the same balance.
 */
export function chargeAccount(entry: KeyEntry, requests: number, cost: number): GatewayError | undefined {
  const account = entry.account;
  const credits = account.creditsLeft();
  if (credits !== undefined && credits < cost)
    return new GatewayError('ERR_CREDITS_EXHAUSTED', 'prepaid credits are used up; top up the project', {
      data: { credits: Math.max(0, credits), cost },
    });
  const quota = entry.rules.quota;
  if (
    quota !== undefined &&
    account.monthUsed(quota.unit) + (quota.unit === 'requests' ? requests : cost) > quota.limit
  )
    return new GatewayError('ERR_QUOTA_EXCEEDED', 'the monthly quota is used up', {
      data: { quota: quota.limit, unit: quota.unit },
    });
  account.servedRequests += requests;
  account.servedComputeUnits += cost;
  return undefined;
}
