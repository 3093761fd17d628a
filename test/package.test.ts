/**
 * The published package as a user gets it: `npm pack`, the tarball installed into an empty folder
 * outside the repository, and its `turnpike` bin run from there (help, validate, dev, start).
 *
 * The install runs with --ignore-scripts and --prefer-offline (the packages come from the npm
 * cache that the project's own install filled). Without scripts better-sqlite3 has no SQLite
 * binding, which is exactly what a user gets whose npm did not run its install script: `dev` and
 * `start` must then say so and exit 1. Its script would compile SQLite with node-gyp here (no
 * prebuilt download on this machine: minutes), so the test then copies the one file that script
 * builds, build/Release/better_sqlite3.node, from the project's own install of the same
 * better-sqlite3 version (pinned with `overrides`) under the same Node.js. What is then run is
 * the tarball's files in a plain node_modules: its `files`, bin, dependencies and paths; only
 * the compile step is not repeated (the project's `npm ci` runs it). anvil needs no script: its
 * binary comes in its platform package, an optional dependency that npm installs anyway; a second
 * install without optional dependencies (and without scripts) has neither, and `dev` says both.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGES_WITH_INSTALL_SCRIPTS } from '../src/errors/install-incomplete.js';
import { killAllCli, ROOT, runCli, startCli } from './support/cli.js';
import { rpc } from './support/rpc.js';

const run = promisify(execFile);

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

/** What the package may hold: the launcher, the build, the demo contracts, examples and docs. */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^bin\/turnpike\.js$/,
  /^dist\//,
  /^contracts\/\w+\.sol$/,
  /^examples\//,
  /^docs\/[\w-]+\.md$/,
];
const REQUIRED = [
  'bin/turnpike.js',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/cli/main.js',
  // The dashboard's static files (package.json's build copies them; dashboard/assets.ts reads them).
  'dist/dashboard/assets/dashboard.js',
  'dist/dashboard/assets/dashboard.css',
  'dist/dashboard/assets/project.js',
  'dist/dashboard/assets/transfers.js',
  'dist/dashboard/assets/transfers.css',
  'contracts/TurnpikeBatchTransfer.sol',
  'contracts/TurnpikeDemoToken.sol',
  'examples/path-gateways.yaml',
];

/** npm's own variables from an outer `npm test` (lifecycle, package, prefixes) would steer the inner npm. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set([
    'npm_config_cache',
    'npm_config_registry',
    'npm_config_userconfig',
    'npm_config_globalconfig',
  ]);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^npm_/i.test(name) || keep.has(name.toLowerCase())) env[name] = value;
  return env;
}

const fromRoot = createRequire(join(ROOT, 'package.json'));
const sqliteVersion = (packageJson: string) =>
  (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

let dir: string;
let app: string;
/** Installed with --omit=optional too: no anvil platform package. */
let bare: string;
let pack: PackResult;
let installed: string;
let bin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'turnpike-package-'));
  // dist/ is built by the globalSetup; --ignore-scripts skips `prepare` building it again.
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: ROOT,
    env: npmEnv(),
  });
  pack = (JSON.parse(packed.stdout) as PackResult[])[0]!;

  app = join(dir, 'app');
  mkdirSync(app);
  const pinned = sqliteVersion(fromRoot.resolve('better-sqlite3/package.json'));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'turnpike-package-test', private: true, overrides: { 'better-sqlite3': pinned } }),
  );
  bare = join(dir, 'bare');
  mkdirSync(bare);
  writeFileSync(
    join(bare, 'package.json'),
    JSON.stringify({ name: 'turnpike-package-test-bare', private: true }),
  );
  const install = (cwd: string, ...flags: string[]) =>
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        ...flags,
        join(dir, pack.filename),
      ],
      {
        cwd,
        env: npmEnv(),
      },
    );
  await Promise.all([install(app), install(bare, '--omit=optional')]);
  installed = join(app, 'node_modules', 'turnpike');
  bin = join(installed, 'bin', 'turnpike.js');
}, 120_000);

afterEach(killAllCli);

// Removing the installed tree takes seconds on a quiet machine and over a minute on a loaded one.
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 240_000);

describe('npm pack', () => {
  it('holds what the package needs and nothing else', () => {
    const paths = pack.files.map((file) => file.path);
    console.log(
      `${pack.filename}: ${pack.entryCount} files, ${(pack.size / 1024).toFixed(0)} kB packed, ` +
        `${(pack.unpackedSize / 1024).toFixed(0)} kB unpacked`,
    );
    expect(paths.filter((path) => !ALLOWED.some((pattern) => pattern.test(path)))).toEqual([]);
    expect(
      paths.filter((path) => /\.test\.|\.map$|(^|\/)(test|benchmarks|results|\.ci|src)\//.test(path)),
    ).toEqual([]);
    for (const path of REQUIRED) expect(paths).toContain(path);
  });
});

describe('the installed package', () => {
  it('links its bin; `turnpike help` and `turnpike --version` exit 0', async () => {
    expect(realpathSync(join(app, 'node_modules', '.bin', 'turnpike'))).toBe(realpathSync(bin));
    // Through the .bin link and its shebang, as a shell runs it.
    const { stdout } = await run(join(app, 'node_modules', '.bin', 'turnpike'), ['help'], {
      cwd: app,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    expect(stdout).toMatch(/^Usage: turnpike <command>/);
    // The version is read from the installed package's own package.json.
    const version = await run(join(app, 'node_modules', '.bin', 'turnpike'), ['--version'], {
      cwd: app,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    const { version: packed } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(packed);
  });

  it('validates a bundled example', async () => {
    const example = join(installed, 'examples', 'path-gateways.yaml');
    const { code, stdout, stderr } = await runCli(
      ['validate', example],
      { PATH_API_KEY: 'k' },
      { bin, cwd: app },
    );
    expect(stderr).toBe('');
    expect(stdout).toContain(`${example}: valid`);
    expect(code).toBe(0);
  });

  it('lists exactly the dependencies with install scripts that docs/install.md names', async () => {
    const { stdout } = await run('npm', ['install-scripts', 'ls', '--json'], { cwd: app, env: npmEnv() });
    // Each dependency whose scripts allowScripts does not cover yet, e.g. { name: 'better-sqlite3', … }.
    const { allowScripts } = JSON.parse(stdout) as { allowScripts: { name: string }[] };
    const names = allowScripts.map((entry) => entry.name);
    expect(names.sort()).toEqual([...PACKAGES_WITH_INSTALL_SCRIPTS].sort());
    const doc = readFileSync(join(ROOT, 'docs', 'install.md'), 'utf8');
    for (const name of PACKAGES_WITH_INSTALL_SCRIPTS) expect(doc).toContain(name);
  });

  it('`dev`, `start` and the admin commands without the SQLite binding print the fix and exit 1', async () => {
    const dev = await runCli(['dev', '--port', '0', '--workers', '1'], {}, { bin, cwd: app });
    const config = join(app, 'turnpike.yaml');
    writeFileSync(
      config,
      [
        'storage:',
        '  database: ./turnpike.db',
        'tenancy:',
        '  enabled: true',
        '  adminToken: package-test-admin-token',
        'networks:',
        '  eth:',
        '    chainId: 1',
        '    upstreams:',
        '      - url: http://127.0.0.1:9',
      ].join('\n'),
    );
    const start = await runCli(['start', '--config', config], { DATABASE_URL: undefined }, { bin, cwd: app });
    const migrate = await runCli(['migrate'], { DATABASE_URL: undefined }, { bin, cwd: app });
    const keys = await runCli(['keys', 'list'], { DATABASE_URL: undefined }, { bin, cwd: app });
    for (const { code, stdout, stderr } of [dev, start, migrate, keys]) {
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain("better-sqlite3's SQLite binding does not load");
      expect(stderr).toContain('npm install-scripts approve better-sqlite3 @foundry-rs/anvil');
      expect(stderr).toContain('npm rebuild better-sqlite3 @foundry-rs/anvil');
      expect(stderr).not.toMatch(/^\s+at /m);
    }
    // anvil came with its platform package, scripts or not: only the binding is reported.
    expect(dev.stderr).not.toContain('anvil binary');
  });

  it('`dev` without the binding and without anvil names both', async () => {
    // PATH without a foundry install the machine may have: only node's own folder.
    const { code, stdout, stderr } = await runCli(
      ['dev', '--port', '0', '--workers', '1'],
      { PATH: dirname(process.execPath) },
      { bin: join(bare, 'node_modules', 'turnpike', 'bin', 'turnpike.js'), cwd: bare },
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain("better-sqlite3's SQLite binding does not load");
    expect(stderr).toContain(`no anvil binary: neither @foundry-rs/anvil-${process.platform}-`);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('`dev` with the binding serves JSON-RPC at /local and stops on SIGTERM', async () => {
    const target = join(installed, '..', 'better-sqlite3');
    expect(sqliteVersion(join(target, 'package.json'))).toBe(
      sqliteVersion(fromRoot.resolve('better-sqlite3/package.json')),
    );
    const built = join(dirname(fromRoot.resolve('better-sqlite3/package.json')), 'build', 'Release');
    mkdirSync(join(target, 'build', 'Release'), { recursive: true });
    copyFileSync(join(built, 'better_sqlite3.node'), join(target, 'build', 'Release', 'better_sqlite3.node'));

    const cli = startCli(
      ['dev', '--port', '0', '--workers', '1'],
      { TURNPIKE_ADMIN_TOKEN: undefined },
      { bin, cwd: app },
    );
    const url = (await cli.waitForLine(/^ready /)).slice('ready '.length);
    const answer = await rpc(url, 'eth_chainId');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });
});
