/**
 * `X-Turnpike-Attempts` lists every attempt in order, failures included: a gateway in front of
 * a port nobody listens on and a real anvil, retries on; requests asking for attempts are sent
 * until one was tried on the dead upstream first, whose failure then heads the list.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { getFreePort } from './support/free-port.js';
import { rpc } from './support/rpc.js';

let anvil: AnvilNode;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  anvil = await startAnvil();
  const deadPort = await getFreePort();
  gateway = createGateway({
    logging: { level: 'silent' },
    consistency: { enabled: true },
    networks: {
      anvil: {
        health: { checkChainId: false, probeIntervalMs: 60_000 },
        // Never opens: the dead upstream keeps being picked now and then.
        failsafe: { retry: { maxAttempts: 3 }, breaker: { consecutiveFailures: 1_000, minRequests: 1_000 } },
        upstreams: [
          { id: 'dead', url: `http://127.0.0.1:${deadPort}` },
          { id: 'live', url: anvil.url },
        ],
      },
    },
  });
  url = `${(await gateway.listen(0, '127.0.0.1')).url}/anvil`;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
});

it('lists a failed attempt and the retry that answered', async () => {
  const seen: string[] = [];
  for (let i = 0; i < 200; i++) {
    const answer = await rpc(url, 'eth_gasPrice', [], { headers: { 'x-turnpike-debug': 'attempts' } });
    expect((answer.body as { result?: string }).result, answer.text).toBeDefined();
    const attempts = String(answer.headers['x-turnpike-attempts']);
    seen.push(attempts);
    if (attempts.startsWith('dead;')) break;
  }
  const failed = seen.find((attempts) => attempts.startsWith('dead;'));
  expect(failed, seen.slice(-5).join(' | ')).toBeDefined();
  expect(failed).toMatch(/^dead;outcome=ERR_[A-Z_]+;ms=\d+\.\d, live;outcome=ok;ms=\d+\.\d$/);
  // Without the header, no list.
  expect((await rpc(url, 'eth_gasPrice')).headers['x-turnpike-attempts']).toBeUndefined();
});
