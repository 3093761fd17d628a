/** `turnpike credits add <project> <amount> [--reason text]`: prepaid compute units, or a correction. */

import { expectPositionals, UsageError } from '../parse-flags.js';
import { runGroup } from '../run-command.js';
import { withAdminSession } from './admin-session.js';
import { adminUsage, parseAdminFlags, wholeNumber } from './flags.js';
import { findProject } from './lookup.js';
import { formatCount, printJson } from './output.js';
import { creditsText } from './projects.js';

export const CREDITS_USAGE = `Usage: turnpike credits <command> [--database …] [--schema S] [--config F] [--json]

Commands:
  add <id|name> <amount> [--reason text]   add prepaid compute units (negative to correct)

'turnpike credits <command> --help' lists the options of a command.
`;

const DEFAULT_REASON = 'turnpike credits add';

const COMMANDS = {
  add: {
    usage: adminUsage(
      'credits add <id|name> <amount> [--reason text]',
      'Adds prepaid compute units to a project; a negative amount corrects a mistake.',
      `  --reason text         kept in the credit ledger (default: "turnpike credits add")
`,
    ),
    run: add,
  },
};

export function runCredits(args: string[]): Promise<number> {
  return runGroup('credits', CREDITS_USAGE, COMMANDS, args);
}

async function add(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, { reason: { type: 'string' } });
  const [projectRef, amountText] = expectPositionals(positionals, ['project', 'amount']);
  const amount = wholeNumber('<amount>', amountText, Number.MIN_SAFE_INTEGER);
  if (amount === 0) throw new UsageError('<amount> must not be 0');
  const reason = values.reason ?? DEFAULT_REASON;
  await withAdminSession(values, async (session) => {
    const found = await findProject(session.store, projectRef);
    const project = await session.store.topUpCredits(found.id, amount, reason);
    await session.announceChange();
    if (values.json)
      return printJson({ project: project.id, added: amount, reason, credits: project.credits });
    const change = amount > 0 ? `added ${formatCount(amount)}` : `removed ${formatCount(-amount)}`;
    process.stdout.write(
      `${change} credits ${amount > 0 ? 'to' : 'from'} project ${project.name} (${project.id}); balance ${creditsText(project.credits)}\n`,
    );
  });
}
