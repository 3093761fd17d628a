// A wrk Lua script that cycles through a set of JSON-RPC bodies (each wrk thread on its own):
// the requests are formatted once in `init`, so per request wrk only picks the next string.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A Lua long string that no body can close early. */
function luaString(text) {
  let level = 1;
  while (text.includes(`]${'='.repeat(level)}]`)) level++;
  const eq = '='.repeat(level);
  return `[${eq}[${text}]${eq}]`;
}

/** Writes `<dir>/<name>.lua` POSTing `bodies` in turn; returns its path. */
export async function writeWrkMixScript(dir, bodies, name = 'mix') {
  if (bodies.length === 0) throw new Error('no bodies for the wrk script');
  const path = join(dir, `${name}.lua`);
  const script = [
    'wrk.method = "POST"',
    'wrk.headers["Content-Type"] = "application/json"',
    'local bodies = {',
    ...bodies.map((body) => `  ${luaString(body)},`),
    '}',
    'local requests = {}',
    'local n = #bodies',
    'local i = 0',
    'function init(args)',
    '  for k = 1, n do requests[k] = wrk.format(nil, nil, nil, bodies[k]) end',
    // Threads start at different offsets, so they do not send the same body in lockstep.
    '  i = math.random(0, n - 1)',
    'end',
    'function request()',
    '  i = i % n + 1',
    '  return requests[i]',
    'end',
    '',
  ].join('\n');
  await writeFile(path, script);
  return path;
}
