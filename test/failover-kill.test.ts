/** `kill -9` of one upstream in the middle of a run: in-flight and later requests fail over. */
import { afterAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import { runLoad, startTestGateway, type TestGateway, upstreamState, waitFor } from './failover-support.js';

let gw: TestGateway | undefined;

afterAll(async () => {
  await gw?.close();
  await stopAllAnvils();
});

describe('an upstream killed mid-run', () => {
  it('costs fewer than 0.1 % errors over 3,000 requests', async () => {
    // Two independent nodes: their state need not match for eth_gasPrice / eth_getBalance of a default account.
    const [victim, survivor]: AnvilNode[] = await Promise.all([startAnvil(), startAnvil()]);
    gw = await startTestGateway(
      [
        { id: 'victim', url: victim!.url },
        { id: 'survivor', url: survivor!.url },
      ],
      {
        failsafe: {
          attemptTimeoutMs: 5_000,
          deadlineMs: 15_000,
          retry: { maxAttempts: 3 },
          breaker: { minRequests: 10, failureRate: 0.5, openMs: 60_000 },
        },
        health: { probeIntervalMs: 500 },
      },
    );

    let killedAt = -1;
    const total = 3_000;
    const result = await runLoad({
      url: gw.url,
      client: gw.client,
      total,
      concurrency: 16,
      payload: (index) => ({
        jsonrpc: '2.0',
        id: index,
        method: index % 2 === 0 ? 'eth_gasPrice' : 'eth_getBalance',
        params: index % 2 === 0 ? [] : ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'latest'],
      }),
      onProgress: (completed) => {
        if (completed === 500) {
          killedAt = completed;
          victim!.kill('SIGKILL');
        }
      },
    });

    expect(killedAt).toBe(500);
    expect(await victim!.exited).toBeNull(); // killed by a signal
    expect(result.outcomes).toHaveLength(total);
    // Strictly fewer than 0.1 %: at most 2 of 3,000.
    expect(result.errors.length, JSON.stringify(result.errors.slice(0, 3))).toBeLessThanOrEqual(2);
    // Both served traffic before the kill; afterwards only the survivor did.
    const beforeKill = result.outcomes.slice(0, 400);
    expect(beforeKill.some((outcome) => outcome.upstream === 'victim')).toBe(true);
    expect(beforeKill.some((outcome) => outcome.upstream === 'survivor')).toBe(true);
    const late = result.outcomes.slice(1_000);
    expect(late.every((outcome) => outcome.upstream === 'survivor' || outcome.error !== undefined)).toBe(
      true,
    );
    // No response at all came from the dead node after the kill settled.
    const lateFromVictim = result.outcomes.slice(600).filter((outcome) => outcome.upstream === 'victim');
    expect(lateFromVictim).toEqual([]);
    // Ranking alone avoids the dead node; failed probes in a row must also mark it unavailable
    // (breaker.consecutiveFailures), so /readyz and metrics stop calling it available.
    await waitFor('the killed upstream to be reported unavailable', async () => {
      const state = await upstreamState(gw!.baseUrl, 'victim');
      return !state.available && state.breaker === 'open';
    });
  });
});
