/**
 * `turnpike keys create | list | rotate | revoke`. A secret is printed only by `create` and
 * `rotate`, once: the store keeps its hash, so nothing can show it again.
 */
import type { ApiKey, IssuedKey } from '../../tenancy/model.js';
import { expectPositionals } from '../parse-flags.js';
import { runGroup } from '../run-command.js';
import { withAdminSession } from './admin-session.js';
import { adminUsage, parseAdminFlags, required, wholeNumber } from './flags.js';
import { keyStatus, keyStatusText } from './key-status.js';
import { findKey, findProject } from './lookup.js';
import { formatTime, printFields, printJson, printTable } from './output.js';

export const KEYS_USAGE = `Usage: turnpike keys <command> [--database …] [--schema S] [--config F] [--json]

Commands:
  create --project <id|name> [--name N]   a new key; its secret is printed once
  list [--project <id|name>]              keys with their prefix and status (never the secret)
  rotate <key id> [--grace SECONDS]       a new key for the same project; the old one stops
                                          after the grace period (default 0: at once)
  revoke <key id>                         the key stops working at once

'turnpike keys <command> --help' lists the options of a command.
`;

const SECRET_WARNING = 'Store this secret now: it is shown only once and cannot be shown again.';

const COMMANDS = {
  create: {
    usage: adminUsage(
      'keys create --project <id|name> [--name N]',
      'Creates an API key for a project and prints its secret, once.',
      `  --project <id|name>   the project the key belongs to (required)
  --name N              a label for the key (default: none)
`,
    ),
    run: create,
  },
  list: {
    usage: adminUsage(
      'keys list [--project <id|name>]',
      'Lists keys with their prefix and status (never the secret).',
      `  --project <id|name>   only the keys of this project
`,
    ),
    run: list,
  },
  rotate: {
    usage: adminUsage(
      'keys rotate <key id> [--grace SECONDS]',
      'Issues a new key for the same project and prints its secret, once; the old key stops\nafter the grace period.',
      `  --grace SECONDS       how long the old key keeps working (default 0: it stops at once)
`,
    ),
    run: rotate,
  },
  revoke: {
    usage: adminUsage('keys revoke <key id>', 'Stops a key at once.'),
    run: revoke,
  },
};

export function runKeys(args: string[]): Promise<number> {
  return runGroup('keys', KEYS_USAGE, COMMANDS, args);
}

async function create(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {
    project: { type: 'string' },
    name: { type: 'string' },
  });
  expectPositionals(positionals, []);
  const projectRef = required('project', values.project);
  await withAdminSession(values, async (session) => {
    const project = await findProject(session.store, projectRef);
    const issued = await session.store.createKey({
      projectId: project.id,
      ...(values.name !== undefined && { name: values.name }),
    });
    await session.announceChange();
    printIssued(issued, `created key ${issued.key.id} for project ${project.name}`, values.json);
  });
}

async function list(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, { project: { type: 'string' } });
  expectPositionals(positionals, []);
  await withAdminSession(values, async (session) => {
    const { store } = session;
    const project = values.project === undefined ? undefined : await findProject(store, values.project);
    const [keys, projects] = await Promise.all([
      store.listKeys(project === undefined ? {} : { projectId: project.id }),
      store.listProjects(),
    ]);
    const now = Date.now();
    if (values.json) return printJson(keys.map((key) => ({ ...key, status: keyStatus(key, now) })));
    const projectNames = new Map(projects.map((p) => [p.id, p.name]));
    printTable(
      [
        { title: 'ID' },
        { title: 'PREFIX' },
        { title: 'NAME' },
        { title: 'PROJECT' },
        { title: 'CREATED' },
        { title: 'STATUS' },
      ],
      keys.map((key) => [
        key.id,
        `${key.prefix}…`,
        key.name,
        projectNames.get(key.projectId) ?? key.projectId,
        formatTime(key.createdAt),
        keyStatusText(key, now),
      ]),
    );
  });
}

async function rotate(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, { grace: { type: 'string' } });
  const [id] = expectPositionals(positionals, ['key id']);
  const grace = values.grace === undefined ? 0 : wholeNumber('--grace', values.grace);
  await withAdminSession(values, async (session) => {
    await findKey(session.store, id);
    const issued = await session.store.rotateKey(id, grace);
    await session.announceChange();
    const old = await findKey(session.store, id);
    const stops = grace === 0 || old.expiresAt === undefined ? 'at once' : `at ${formatTime(old.expiresAt)}`;
    printIssued(
      issued,
      `created key ${issued.key.id} to replace ${id}, which stops ${stops}`,
      values.json,
      old,
    );
  });
}

async function revoke(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {});
  const [id] = expectPositionals(positionals, ['key id']);
  await withAdminSession(values, async (session) => {
    await findKey(session.store, id);
    const key = await session.store.revokeKey(id);
    await session.announceChange();
    if (values.json) return printJson({ ...key, status: keyStatus(key, Date.now()) });
    process.stdout.write(
      `revoked key ${key.id} (${key.prefix}…) at ${formatTime(key.revokedAt ?? Date.now())}\n`,
    );
  });
}

/** The one place a secret is printed. */
function printIssued(issued: IssuedKey, summary: string, json: boolean | undefined, replaced?: ApiKey): void {
  const now = Date.now();
  if (json) {
    process.stderr.write(`${SECRET_WARNING}\n`);
    printJson({
      key: { ...issued.key, status: keyStatus(issued.key, now) },
      secret: issued.secret,
      ...(replaced !== undefined && { replaced: { ...replaced, status: keyStatus(replaced, now) } }),
    });
    return;
  }
  process.stdout.write(`${summary}\n\n`);
  printFields([
    ['id', issued.key.id],
    ['prefix', `${issued.key.prefix}…`],
    ['secret', issued.secret],
  ]);
  process.stdout.write(`\n${SECRET_WARNING}\n`);
}
