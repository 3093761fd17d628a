/**
 * The layer check (.dependency-cruiser.cjs, `npm run layers`) passes on src/ and fails on each
 * kind of violation it exists to catch, shown on a small tree in a temporary folder.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd });
    return { code: 0, output: stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

const trees: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-layers-'));
  trees.push(dir);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

afterAll(() => {
  for (const dir of trees) rmSync(dir, { recursive: true, force: true });
});

describe('layer check', () => {
  it('passes on src/: no upward import, no sibling import, no cycle', async () => {
    const { code, output } = await cruise(ROOT);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 60_000);

  it('fails on an upward import, a sibling import, a file cycle and an unplaced folder', async () => {
    const dir = tree({
      'src/errors/codes.ts': 'export const codes = 1;\n',
      // upward: a library importing the pipeline above it
      'src/rpc/parse.ts': "import { forward } from '../network/forward.js';\nexport const parse = forward;\n",
      'src/network/forward.ts':
        "import { codes } from '../errors/codes.js';\nexport const forward = codes;\n",
      // sibling: two folders of one layer
      'src/cache/store.ts': "import { limit } from '../tenancy/limit.js';\nexport const store = limit;\n",
      'src/tenancy/limit.ts': 'export const limit = 1;\n',
      // cycle inside one folder
      'src/upstream/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/upstream/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      // a folder with no place in LAYERS
      'src/misc/thing.ts': "import { codes } from '../errors/codes.js';\nexport const thing = codes;\n",
    });
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toMatch(/layer:rpc: src\/rpc\/parse\.ts → src\/network\/forward\.ts/);
    expect(output).toMatch(/layer:cache: src\/cache\/store\.ts → src\/tenancy\/limit\.ts/);
    expect(output).toMatch(/no-circular: src\/upstream\/a\.ts → /);
    expect(output).toMatch(/layer:unplaced: src\/misc\/thing\.ts → src\/errors\/codes\.ts/);
  }, 60_000);
});
