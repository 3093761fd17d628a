/**
 * Creates the folder of a SQLite file, as `mkdir -p` does, without Node 20's recursive
 * `mkdirSync`: that loops forever when the kernel answers ENOENT for a folder whose parent
 * exists (anything under /proc, for one), so `--database /proc/x/y.db` hung. Each missing folder
 * is made on its own, and the first refusal is reported with the path and the reason.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';

/** Creates the missing folders of `file`'s directory; throws ERR_STORE_OPEN naming `file`. */
export function createSqliteFolder(file: string): void {
  const missing: string[] = [];
  let dir = dirname(file);
  while (!existsSync(dir)) {
    missing.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (existsSync(dir) && !isDirectory(dir)) throw cannotOpen(file, `${dir} is not a folder`);
  for (let i = missing.length - 1; i >= 0; i--) {
    const folder = missing[i]!;
    try {
      mkdirSync(folder);
    } catch (err) {
      // Another process (a cluster worker) made it first.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && isDirectory(folder)) continue;
      throw cannotOpen(file, `cannot create the folder ${folder}`, err);
    }
  }
}

/** ERR_STORE_OPEN for the SQLite file `file`: what failed and the system's reason. */
export function cannotOpen(file: string, what: string, cause?: unknown): GatewayError {
  const reason = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err instanceof Error ? err.message : String(err);
    return code === undefined || message.startsWith(code) ? message : `${code}: ${message}`;
  };
  const why = cause === undefined ? '' : ` (${reason(cause)})`;
  return new GatewayError('ERR_STORE_OPEN', `SQLite database ${file}: ${what}${why}`, {
    cause,
    data: { path: file },
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
