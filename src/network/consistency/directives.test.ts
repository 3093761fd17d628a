import { describe, expect, it } from 'vitest';
import { consistencySchema } from '../../config/consistency-schema.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { Access } from '../../tenancy/access.js';
import { DirectivePolicy, readDirectives, readSessionHeader } from './directives.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    return err instanceof GatewayError ? err.code : 'not a GatewayError';
  }
}

/** An Access whose key is on the plan named `plan` (only what the policy reads). */
function keyOn(plan: string): Access {
  return { entry: { rules: { plan: { name: plan, id: `id-${plan}` } } } } as unknown as Access;
}

describe('readDirectives', () => {
  it('is undefined without directive headers', () => {
    expect(readDirectives({ 'content-type': 'application/json' })).toBeUndefined();
  });

  it('reads every directive, decimal and hex', () => {
    expect(
      readDirectives({
        'x-turnpike-upstream': ' a ',
        'x-turnpike-skip-cache': 'TRUE',
        'x-turnpike-min-block': '0x10',
        'x-turnpike-max-lag': '3',
        'x-turnpike-debug': 'attempts',
      }),
    ).toEqual({ upstream: 'a', skipCache: true, minBlock: 16, maxLag: 3, attempts: true });
  });

  it.each([
    { 'x-turnpike-min-block': '1.5' },
    { 'x-turnpike-min-block': '99999999999999999' },
    { 'x-turnpike-max-lag': '' },
    { 'x-turnpike-skip-cache': 'yes' },
    { 'x-turnpike-upstream': ' ' },
    { 'x-turnpike-debug': 'all' },
  ])('refuses %o', (headers) => {
    expect(codeOf(() => readDirectives(headers))).toBe('ERR_DIRECTIVE_INVALID');
  });

  it('checks the session header', () => {
    expect(readSessionHeader({ 'x-turnpike-session': ' s1 ' })).toBe('s1');
    expect(codeOf(() => readSessionHeader({ 'x-turnpike-session': '' }))).toBe('ERR_DIRECTIVE_INVALID');
  });
});

describe('DirectivePolicy', () => {
  const policy = new DirectivePolicy(
    consistencySchema.parse({
      directives: { keyless: [], default: ['attempts'], plans: { gold: ['upstream'], 'id-silver': [] } },
    }).directives,
  );
  const upstream = readDirectives({ 'x-turnpike-upstream': 'a' })!;
  const attempts = readDirectives({ 'x-turnpike-debug': 'attempts' })!;

  it('allows per plan name, then plan id, then the default', () => {
    expect(codeOf(() => policy.check(upstream, keyOn('gold')))).toBeUndefined();
    expect(codeOf(() => policy.check(attempts, keyOn('gold')))).toBe('ERR_DIRECTIVE_NOT_ALLOWED');
    expect(codeOf(() => policy.check(attempts, keyOn('silver')))).toBe('ERR_DIRECTIVE_NOT_ALLOWED');
    expect(codeOf(() => policy.check(attempts, keyOn('other')))).toBeUndefined();
    expect(codeOf(() => policy.check(attempts, undefined))).toBe('ERR_DIRECTIVE_NOT_ALLOWED');
  });

  it('rejects an unknown directive name in the config with its path', () => {
    const parsed = consistencySchema.safeParse({ directives: { plans: { gold: ['teleport'] } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['directives', 'plans', 'gold', 0]);
  });
});
