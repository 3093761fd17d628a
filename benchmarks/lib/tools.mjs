// nginx and wrk come from Debian. When one is missing, the benchmark installs it with apt-get
// (as root, the way this machine kind runs) instead of failing halfway through a run.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function onPath(command) {
  return run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

/** Installs the Debian packages of missing tools; throws with the manual command when it cannot. */
export async function ensureTools({ nginxBin, log }) {
  const missing = [];
  if (!existsSync(nginxBin)) missing.push('nginx');
  if (!(await onPath('wrk'))) missing.push('wrk');
  if (missing.length === 0) return;
  const manual = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0)
    throw new Error(`${missing.join(' and ')} missing; install with: sudo ${manual}`);
  log(`installing ${missing.join(' and ')} from Debian (${manual})…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 16 << 20 });
    await run('apt-get', ['install', '-y', '-qq', ...missing], { env, maxBuffer: 16 << 20 });
  } catch (err) {
    throw new Error(
      `could not install ${missing.join(' and ')} (${err.message.split('\n')[0]}); run: ${manual}`,
    );
  }
  if (!existsSync(nginxBin) || !(await onPath('wrk')))
    throw new Error(`still missing after install; run: ${manual}`);
}
