/**
 * The conventions every `turnpike` command shares, through the real binary: `--help`, `-h` and
 * `help` at every level print the same usage on stdout (exit 0), and that text is the one in
 * docs/cli.md; `--version`/`-V`; unknown flags and commands name the closest known one (exit 2);
 * the exit codes of docs/cli.md; `validate --json`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './support/cli.js';

/** Every command and sub-command; checked below against the commands the usages list. */
const COMMANDS: readonly (readonly string[])[] = [
  [],
  ['start'],
  ['dev'],
  ['validate'],
  ['migrate'],
  ['plans'],
  ['plans', 'create'],
  ['plans', 'list'],
  ['plans', 'show'],
  ['plans', 'update'],
  ['plans', 'delete'],
  ['projects'],
  ['projects', 'create'],
  ['projects', 'list'],
  ['projects', 'show'],
  ['projects', 'update'],
  ['credits'],
  ['credits', 'add'],
  ['keys'],
  ['keys', 'create'],
  ['keys', 'list'],
  ['keys', 'rotate'],
  ['keys', 'revoke'],
  ['usage'],
  ['bench'],
];

const DOC = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The first word of each command line (two spaces in) of the usage's `Commands:` section. */
function listedCommands(usage: string): string[] {
  const section = usage.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => /^ {2}\S/.test(line))
    .map((line) => line.trim().split(' ')[0] ?? '')
    .filter((word) => word !== 'help');
}

describe('turnpike <command> --help', () => {
  it.each(COMMANDS.map((path) => [path.join(' ') || '(none)', path] as const))(
    'turnpike %s: --help, -h and help print the usage in docs/cli.md, exit 0',
    async (_, path) => {
      const [long, short, word] = await Promise.all([
        runCli([...path, '--help']),
        runCli([...path, '-h']),
        runCli([...path, 'help']),
      ]);
      for (const run of [long, short, word]) {
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
      }
      expect(short.stdout).toBe(long.stdout);
      expect(word.stdout).toBe(long.stdout);
      const name = ['turnpike', ...path].join(' ');
      expect(long.stdout.startsWith(path.length === 0 ? 'Usage: turnpike <command>' : `Usage: ${name}`)).toBe(
        true,
      );
      const block = `\`\`\`text\n$ ${name} --help\n${long.stdout}\`\`\``;
      expect(DOC.includes(block), `docs/cli.md lacks, verbatim:\n${block}`).toBe(true);
    },
  );

  it('the list above holds every command and sub-command the usages name', async () => {
    const top = await runCli(['--help']);
    const groups = listedCommands(top.stdout);
    expect(groups.sort()).toEqual(
      COMMANDS.filter((path) => path.length === 1)
        .map((path) => path[0])
        .sort(),
    );
    for (const group of ['plans', 'projects', 'credits', 'keys']) {
      const usage = await runCli([group, '--help']);
      expect(listedCommands(usage.stdout).sort(), group).toEqual(
        COMMANDS.filter((path) => path.length === 2 && path[0] === group)
          .map((path) => path[1])
          .sort(),
      );
    }
  });

  it('a help flag after other flags still prints the usage', async () => {
    const run = await runCli(['keys', 'create', '--project', 'acme', '--bogus', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: turnpike keys create /);
  });
});

describe('turnpike --version', () => {
  it.each([['--version'], ['-V']])('%s prints the package version, exit 0', async (flag) => {
    const run = await runCli([flag]);
    expect(run).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});

describe('mistakes name the closest flag or command, exit 2', () => {
  it.each([
    [['dev', '--prot', '4000'], 'turnpike dev: unknown option --prot (did you mean --port?)'],
    [['start', '--workres', '2'], 'turnpike start: unknown option --workres (did you mean --workers?)'],
    [
      ['keys', 'create', '--projetc', 'acme'],
      'turnpike keys create: unknown option --projetc (did you mean --project?)',
    ],
    [['bench', 'x.yaml', '--qiuet'], 'turnpike bench: unknown option --qiuet (did you mean --quiet?)'],
    [['--verison'], 'turnpike: unknown option --verison (did you mean --version?)'],
    [['dev', '--bogus'], 'turnpike dev: unknown option --bogus'],
    [['strat'], 'turnpike: unknown command "strat" (did you mean "start"?)'],
    [['plans', 'lsit'], 'turnpike: unknown command "plans lsit" (did you mean "plans list"?)'],
    [['frobnicate'], 'turnpike: unknown command "frobnicate"'],
    [['dev', '--port', 'abc'], 'turnpike dev: --port must be an integer from 0 to 65535, got "abc"'],
    [['start', '--workers', '-1'], 'turnpike start: --workers must be an integer from 0 to 1024, got "-1"'],
    [['validate', 'a.yaml', 'b.yaml'], 'turnpike validate: unexpected argument "b.yaml"'],
  ])('turnpike %j', async (args, message) => {
    const run = await runCli(args);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
    expect(run.stdout).toBe('');
  });
});

describe('exit codes and --json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-help-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('validate: 0 and the networks when valid, 2 and the issues when not, as JSON too', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'networks:\n  eth:\n    chainId: 1\n    upstreams:\n      - id: a\n        url: http://127.0.0.1:8545\n',
    );
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'server:\n  port: -1\nnetworks: {}\n');

    const ok = await runCli(['validate', good, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ file: good, valid: true, networks: ['eth'] });

    const invalid = await runCli(['validate', '--json', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe('');
    const report = JSON.parse(invalid.stdout) as {
      valid: boolean;
      issues: { path: string; message: string }[];
    };
    expect(report.valid).toBe(false);
    expect(report.issues.map((issue) => issue.path)).toContain('server.port');

    const text = await runCli(['validate', bad]);
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^server\.port: /m);
  });

  it('1 when the operation fails, with the reason on stderr', async () => {
    const run = await runCli(['projects', 'show', 'nope', '--database', join(dir, 'tenancy.db')], {
      DATABASE_URL: '',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^turnpike projects show: ERR_ADMIN_NOT_FOUND: /);
    expect(run.stdout).toBe('');
  });
});
