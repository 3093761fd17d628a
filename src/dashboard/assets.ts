/**
 * The page's static files, shipped in the package: ours from `dashboard/assets/` (the build
 * copies them next to the compiled module) and uPlot from its own installed package. Each is
 * read once at start and served under a name that carries its content hash, so browsers may
 * cache it for good (`immutable`) and a new version is a new name.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Asset {
  /** `/dashboard/assets/<name>.<hash>.<ext>` */
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface DashboardAssets {
  readonly script: Asset;
  /** The panels beyond traffic and health (stages, tenancy, relayer details). */
  readonly panelScript: Asset;
  readonly style: Asset;
  readonly chartScript: Asset;
  readonly chartStyle: Asset;
  /** The project view's script (project-page.ts). */
  readonly projectScript: Asset;
  /** The transfer search and list, on both pages; its style also serves the project view. */
  readonly transfersScript: Asset;
  readonly transfersStyle: Asset;
  readonly all: readonly Asset[];
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

export function loadAssets(): DashboardAssets {
  const own = (file: string) => fileURLToPath(new URL(`./assets/${file}`, import.meta.url));
  const require = createRequire(import.meta.url);
  const script = asset('dashboard', own('dashboard.js'));
  const panelScript = asset('panels', own('panels.js'));
  const style = asset('dashboard', own('dashboard.css'));
  const chartScript = asset('uplot', require.resolve('uplot/dist/uPlot.iife.min.js'));
  const chartStyle = asset('uplot', require.resolve('uplot/dist/uPlot.min.css'));
  const projectScript = asset('project', own('project.js'));
  const transfersScript = asset('transfers', own('transfers.js'));
  const transfersStyle = asset('transfers', own('transfers.css'));
  return {
    script,
    panelScript,
    style,
    chartScript,
    chartStyle,
    projectScript,
    transfersScript,
    transfersStyle,
    all: [
      script,
      panelScript,
      style,
      chartScript,
      chartStyle,
      projectScript,
      transfersScript,
      transfersStyle,
    ],
  };
}

function asset(name: string, file: string): Asset {
  const body = readFileSync(file);
  const ext = file.slice(file.lastIndexOf('.') + 1);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return {
    path: `/dashboard/assets/${name}.${hash}.${ext}`,
    contentType: TYPES[ext] ?? 'application/octet-stream',
    body,
  };
}
