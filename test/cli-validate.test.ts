// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` is the config file's own syntax, not a template.
/**
 * `turnpike validate` and the config errors of `turnpike start`, through the real binary: exit codes,
 * every mistake listed with its dotted path, and `${ENV}` / `${ENV:-default}` interpolation.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllCli, runCli } from './support/cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-cli-validate-'));
});
afterEach(killAllCli);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** An environment without the variables a test relies on being unset. */
function without(...names: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of names) env[name] = undefined;
  return env;
}

const BROKEN = `
servr:
  port: 4000
server:
  port: 70000
networks:
  eth:
    chainId: 1
    upstreams:
      - url: http://127.0.0.1:8545
      - url: not-a-url
        wieght: 2
      - url: http://127.0.0.1:8546
        tier: backup
  Base:
    upstreams:
      - url: http://127.0.0.1:8547
`;

/** Cross-field checks run once the shape is right, so they live in a file of their own. */
const INCONSISTENT = `
networks:
  eth:
    upstreams:
      - id: node
        url: http://127.0.0.1:8545
      - id: node
        url: http://127.0.0.1:8546
    failsafe:
      attemptTimeoutMs: 20000
      deadlineMs: 10000
`;

const BROKEN_ISSUES = [
  '(root): unknown key(s): servr',
  'server.port: ',
  'networks.eth.upstreams[1].url: expected an http(s) URL',
  'networks.eth.upstreams[1]: unknown key(s): wieght',
  'networks.eth.upstreams[2].tier: ',
  'networks.Base: expected a lowercase network name',
];

describe('turnpike validate', () => {
  it('accepts a valid file: exit 0 and names its networks', async () => {
    const path = await file(
      'valid.yaml',
      'networks:\n  eth:\n    upstreams:\n      - url: http://127.0.0.1:8545\n  base:\n    upstreams:\n      - url: https://base.example/rpc\n',
    );
    const result = await runCli(['validate', path]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${path}: valid (networks: eth, base)\n`);
  });

  it('lists every mistake with its path on stderr and exits 2', async () => {
    const path = await file('broken.yaml', BROKEN);
    const result = await runCli(['validate', path]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    for (const expected of BROKEN_ISSUES) {
      expect(
        lines.some((line) => line.startsWith(expected)),
        `missing "${expected}" in:\n${result.stderr}`,
      ).toBe(true);
    }
    // Every error line names a path, and the summary counts them all.
    const errors = lines.slice(0, -1);
    expect(errors.length).toBeGreaterThanOrEqual(BROKEN_ISSUES.length);
    for (const line of errors) expect(line).toMatch(/^(\(root\)|[a-zA-Z][\w.[\]-]*): \S/);
    expect(lines.at(-1)).toBe(`${path}: ${errors.length} error(s)`);
  });

  it('reports cross-field mistakes (duplicate upstream ids, attempt timeout above the deadline)', async () => {
    const path = await file('inconsistent.yaml', INCONSISTENT);
    const result = await runCli(['validate', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      [
        'networks.eth.upstreams[1].id: duplicate upstream id "node"',
        'networks.eth.failsafe.attemptTimeoutMs: must not exceed failsafe.deadlineMs',
        `${path}: 2 error(s)`,
        '',
      ].join('\n'),
    );
  });

  it('reports a ${VAR} that is not set, at the path where it is used', async () => {
    const path = await file(
      'env-missing.yaml',
      [
        'networks:',
        '  eth:',
        '    upstreams:',
        '      - url: https://eth.example/v2/${TP_TEST_MISSING_KEY}',
        '        headers:',
        '          Authorization: Bearer ${TP_TEST_MISSING_TOKEN}',
      ].join('\n'),
    );
    const result = await runCli(['validate', path], without('TP_TEST_MISSING_KEY', 'TP_TEST_MISSING_TOKEN'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'networks.eth.upstreams[0].url: environment variable TP_TEST_MISSING_KEY is not set',
    );
    expect(result.stderr).toContain(
      'networks.eth.upstreams[0].headers.Authorization: environment variable TP_TEST_MISSING_TOKEN is not set',
    );

    // The same file is valid once both are set.
    const ok = await runCli(['validate', path], {
      TP_TEST_MISSING_KEY: 'k3y',
      TP_TEST_MISSING_TOKEN: 't0ken',
    });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('substitutes ${VAR:-default} when VAR is unset, and VAR when it is set', async () => {
    const path = await file(
      'env-default.yaml',
      'networks:\n  eth:\n    upstreams:\n      - url: ${TP_TEST_NODE_URL:-http://127.0.0.1:8545}\n',
    );
    const unset = await runCli(['validate', path], without('TP_TEST_NODE_URL'));
    expect(unset.stderr).toBe('');
    expect(unset.code).toBe(0);
    // As in the shell, `:-` also covers a variable that is set but empty.
    const empty = await runCli(['validate', path], { TP_TEST_NODE_URL: '' });
    expect(empty.stderr).toBe('');
    expect(empty.code).toBe(0);

    // Proof that the value (not the default) is used when set: a bad value is reported.
    const set = await runCli(['validate', path], { TP_TEST_NODE_URL: 'ftp://nope' });
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('networks.eth.upstreams[0].url: expected an http(s) URL');

    // And that the default is substituted as text: a bad default is reported too.
    const badDefault = await file(
      'env-bad-default.yaml',
      'networks:\n  eth:\n    upstreams:\n      - url: ${TP_TEST_NODE_URL:-not a url}\n',
    );
    const reported = await runCli(['validate', badDefault], without('TP_TEST_NODE_URL'));
    expect(reported.code).toBe(2);
    expect(reported.stderr).toContain('networks.eth.upstreams[0].url: expected an http(s) URL');
  });

  it('reports unreadable files and invalid YAML with exit 2', async () => {
    const missing = await runCli(['validate', join(dir, 'does-not-exist.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^\(file\): cannot read .*does-not-exist\.yaml/);

    const path = await file('bad.yaml', 'networks:\n  eth: [unclosed\n');
    const invalid = await runCli(['validate', path]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^\(file\): invalid YAML: /);

    const noArgument = await runCli(['validate']);
    expect(noArgument.code).toBe(2);
    expect(noArgument.stderr).toContain('Usage: turnpike validate <file>');
  });
});

describe('turnpike start with an invalid config', () => {
  it('exits 2 before listening and lists every mistake with its path', async () => {
    const path = await file('start-broken.yaml', BROKEN);
    const result = await runCli(['start', '--config', path, '--workers', '2', '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stdout).not.toContain('ready');
    for (const expected of BROKEN_ISSUES) {
      expect(result.stderr, `missing "${expected}"`).toContain(expected);
    }
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`${path}: invalid configuration`);
  });

  it('exits 2 when the config file is missing', async () => {
    const result = await runCli(['start', '--config', join(dir, 'nope.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(file): cannot read');
  });
});

describe('turnpike (no command / unknown command)', () => {
  it('prints usage with exit 0 for help and exit 2 for an unknown command', async () => {
    const help = await runCli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: turnpike <command>/);
    for (const command of ['start', 'dev', 'validate']) expect(help.stdout).toContain(`  ${command} `);

    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });
});
