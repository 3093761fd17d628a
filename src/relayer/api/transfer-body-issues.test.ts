import { describe, expect, it } from 'vitest';
import { type GatewayError, isGatewayError } from '../../errors/gateway-error.js';
import { MAX_ISSUES } from '../../errors/issues.js';
import { parseTransfersBody } from './transfer-body.js';
import { transferRules } from './transfer-fields.js';

describe('transfer body issues', () => {
  it('a relayer body with 95,000 unknown fields makes a small error', () => {
    const rules = transferRules({ tokens: {}, maxTransfersPerRequest: 3, maxMemoBytes: 4 });
    const body = Object.fromEntries(Array.from({ length: 95_000 }, (_, i) => [`f${i}`, 1]));
    let thrown: GatewayError | undefined;
    try {
      parseTransfersBody(body, rules);
    } catch (err) {
      if (isGatewayError(err)) thrown = err;
    }
    const data = thrown?.data as { issues: unknown[]; issueCount: number };
    expect(thrown?.code).toBe('ERR_RELAYER_INVALID');
    expect(data.issues).toHaveLength(MAX_ISSUES);
    expect(data.issueCount).toBe(95_000 + 3); // and token, to, amount are missing
    expect(JSON.stringify(data).length).toBeLessThan(2_000);
  });
});
