/**
 * Turnpike's layers, lowest first (docs/architecture.md draws them). A module may import its own
 * folder and any folder in a lower layer, never a sibling in its own layer or anything above:
 * that rules out folder cycles as well as upward imports. Tests (`*.test.ts`) sit on top of
 * everything and are not checked. A folder missing from this list fails the check, so a new one
 * has to be given its place.
 */
const LAYERS = [
  ['errors', 'events'],
  ['config'],
  ['logging', 'rpc'],
  ['http', 'failsafe', 'store', 'metrics'],
  ['ratelimit', 'upstream'],
  ['tenancy', 'cache'],
  ['network'],
  ['rpc-endpoint', 'admin', 'relayer', 'realtime'],
  ['dashboard'],
  ['gateway.ts'],
  ['index.ts'],
  ['cluster', 'dev', 'bench'],
  ['cli'],
];

const NOT_TEST = '\\.test\\.ts$';
const folder = (name) => (name.endsWith('.ts') ? `^src/${name.replace('.', '\\.')}$` : `^src/${name}/`);
const known = LAYERS.flat();

const forbidden = [];
LAYERS.forEach((layer, rank) => {
  for (const name of layer) {
    const notAllowed = LAYERS.slice(rank)
      .flat()
      .filter((other) => other !== name);
    if (notAllowed.length === 0) continue;
    forbidden.push({
      name: `layer:${name}`,
      comment: `src/${name} (layer ${rank}) may import only its own folder and layers below ${rank}: ${LAYERS.slice(0, rank).flat().join(', ') || 'none'}`,
      severity: 'error',
      from: { path: folder(name), pathNot: NOT_TEST },
      to: { path: `(${notAllowed.map(folder).join('|')})` },
    });
  }
});
forbidden.push(
  {
    name: 'layer:unplaced',
    comment: 'every folder of src/ has a place in .dependency-cruiser.cjs LAYERS',
    severity: 'error',
    from: { path: '^src/', pathNot: `(${known.map(folder).join('|')}|${NOT_TEST})` },
    to: {},
  },
  {
    name: 'no-circular',
    comment: 'no import cycles between files either',
    severity: 'error',
    from: { pathNot: NOT_TEST },
    to: { circular: true },
  },
);

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
