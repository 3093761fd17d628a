import { describe, expect, it } from 'vitest';
import { configSchema } from './schema.js';

function issues(input: unknown): string[] {
  const parsed = configSchema.safeParse(input);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const upstreams = [{ url: 'http://127.0.0.1:3030' }];

describe('networks.<name>.type', () => {
  it('defaults to evm and takes near with a string chain id', () => {
    const config = configSchema.parse({
      networks: { eth: { upstreams }, near: { type: 'near', chainId: 'mainnet', upstreams } },
    });
    expect(config.networks.eth!.type).toBe('evm');
    expect(config.networks.near!.type).toBe('near');
    expect(config.networks.near!.chainId).toBe('mainnet');
    expect(config.networks.near!.health.probeMethod).toBeUndefined();
  });

  it('refuses a chain id of the wrong kind, an unknown type and a NEAR relayer network, with their paths', () => {
    expect(issues({ networks: { near: { type: 'near', chainId: 1, upstreams } } })).toEqual([
      'networks.near.chainId: expected a NEAR chain id such as "mainnet" (a string) on a NEAR network',
    ]);
    expect(issues({ networks: { eth: { chainId: 'mainnet', upstreams } } })).toEqual([
      'networks.eth.chainId: expected an integer chain id on an EVM network',
    ]);
    expect(issues({ networks: { sol: { type: 'solana', upstreams } } })[0]).toMatch(/^networks\.sol\.type: /);
    expect(
      issues({
        relayer: { enabled: true, network: 'near' },
        networks: { near: { type: 'near', upstreams } },
      }),
    ).toContain('relayer.network: network "near" is a NEAR network; the relayer sends EVM transactions only');
  });
});
