// Runs the open-loop generator as a child process and collects its JSON-line output.
import { fileURLToPath } from 'node:url';
import { startChild } from './children.mjs';

const GENERATOR = fileURLToPath(new URL('./open-loop.mjs', import.meta.url));

/** Resolves with the generator's result record; `onInterval` receives interval records. */
export async function openLoop(options, { onInterval } = {}) {
  let result = null;
  const child = await startChild('open-loop', process.execPath, [GENERATOR, JSON.stringify(options)], {
    onLine(line) {
      if (!line.startsWith('{')) return;
      const record = JSON.parse(line);
      if (record.type === 'interval') onInterval?.(record);
      if (record.type === 'result') result = record;
    },
  });
  const code = await child.exit;
  if (code !== 0 || !result)
    throw new Error(`open-loop generator failed (${code}):\n${child.tail.join('\n')}`);
  return result;
}
