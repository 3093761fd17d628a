/** `turnpike usage`: metered requests, compute units and bytes, filtered and grouped. */
import type { UsageDimension, UsageRow } from '../../tenancy/model.js';
import { expectPositionals, UsageError } from '../parse-flags.js';
import { runCommand } from '../run-command.js';
import { withAdminSession } from './admin-session.js';
import { adminUsage, choices, day, parseAdminFlags } from './flags.js';
import { findKey, findProject } from './lookup.js';
import { formatCount, printJson, printTable } from './output.js';

export const USAGE_USAGE = adminUsage(
  'usage [--project <id|name>] [--key <key id>] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--group-by d1,d2]',
  'Sums metered requests, compute units and bytes over inclusive UTC days, one row per\ncombination of the --group-by dimensions.',
  `  --project <id|name>   one project
  --key <key id>        one key
  --from YYYY-MM-DD     first day (inclusive, UTC)
  --to YYYY-MM-DD       last day (inclusive, UTC)
  --group-by d1,d2      any of day, project, key, network, method, outcome (default: day;
                        --group-by "" gives one total)
`,
);

const DIMENSIONS = [
  'day',
  'project',
  'key',
  'network',
  'method',
  'outcome',
] as const satisfies UsageDimension[];

const TITLES: Record<UsageDimension, string> = {
  day: 'DAY',
  project: 'PROJECT',
  key: 'KEY',
  network: 'NETWORK',
  method: 'METHOD',
  outcome: 'OUTCOME',
};

const PROPERTIES = {
  day: 'day',
  project: 'projectId',
  key: 'keyId',
  network: 'network',
  method: 'method',
  outcome: 'outcome',
} as const satisfies Record<UsageDimension, keyof UsageRow>;

export function runUsage(args: string[]): Promise<number> {
  return runCommand({ name: 'usage', usage: USAGE_USAGE, run: usage }, args);
}

async function usage(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {
    project: { type: 'string' },
    key: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'group-by': { type: 'string' },
  });
  expectPositionals(positionals, []);
  const from = values.from === undefined ? undefined : day('--from', values.from);
  const to = values.to === undefined ? undefined : day('--to', values.to);
  if (from !== undefined && to !== undefined && from > to) throw new UsageError('--from is after --to');
  const groupBy = choices('--group-by', values['group-by'] ?? 'day', DIMENSIONS);
  await withAdminSession(values, async (session) => {
    const { store } = session;
    const project = values.project === undefined ? undefined : await findProject(store, values.project);
    const key = values.key === undefined ? undefined : await findKey(store, values.key);
    const query = {
      ...(project !== undefined && { projectId: project.id }),
      ...(key !== undefined && { keyId: key.id }),
      ...(from !== undefined && { from }),
      ...(to !== undefined && { to }),
      groupBy,
    };
    const rows = await store.queryUsage(query);
    const total = {
      requests: sum(rows, 'requests'),
      computeUnits: sum(rows, 'computeUnits'),
      bytes: sum(rows, 'bytes'),
    };
    if (values.json) return printJson({ query, rows, total });
    const counts = (row: Pick<UsageRow, 'requests' | 'computeUnits' | 'bytes'>) => [
      formatCount(row.requests),
      formatCount(row.computeUnits),
      formatCount(row.bytes),
    ];
    const table = rows.map((row) => [...groupBy.map((name) => row[PROPERTIES[name]] ?? ''), ...counts(row)]);
    // A total line only adds something when there are rows to add up.
    if (rows.length > 1) table.push(['TOTAL', ...groupBy.slice(1).map(() => ''), ...counts(total)]);
    printTable(
      [
        ...groupBy.map((name) => ({ title: TITLES[name] })),
        { title: 'REQUESTS', align: 'right' as const },
        { title: 'COMPUTE UNITS', align: 'right' as const },
        { title: 'BYTES', align: 'right' as const },
      ],
      table,
    );
  });
}

function sum(rows: readonly UsageRow[], field: 'requests' | 'computeUnits' | 'bytes'): number {
  return rows.reduce((total, row) => total + row[field], 0);
}
