/** `turnpike validate <file>`: prints every config mistake with its path; exit 2 when invalid. */
import { loadConfigFile } from '../config/load.js';

export async function runValidate(args: string[]): Promise<number> {
  const file = args.find((arg) => !arg.startsWith('-'));
  if (file === undefined) {
    process.stderr.write('Usage: turnpike validate <file>\n');
    return 2;
  }
  const result = await loadConfigFile(file);
  if (result.ok) {
    const networks = Object.keys(result.config.networks).join(', ');
    process.stdout.write(`${file}: valid (networks: ${networks})\n`);
    return 0;
  }
  for (const issue of result.issues) process.stderr.write(`${issue.path}: ${issue.message}\n`);
  process.stderr.write(`${file}: ${result.issues.length} error(s)\n`);
  return 2;
}
