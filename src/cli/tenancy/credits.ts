/** `turnpike credits add <project> <amount> [--reason text]`: prepaid compute units, or a correction. */
import { withAdminSession } from './admin-session.js';
import { expectPositionals, parseFlags, UsageError, wholeNumber } from './flags.js';
import { findProject } from './lookup.js';
import { formatCount, printJson } from './output.js';
import { creditsText } from './projects.js';
import { runGroup } from './run-admin.js';

export const CREDITS_USAGE = `Usage: turnpike credits <command> [--database …] [--schema S] [--config F] [--json]

Commands:
  add <id|name> <amount> [--reason text]   add prepaid compute units (negative to correct)
`;

const DEFAULT_REASON = 'turnpike credits add';

export function runCredits(args: string[]): Promise<number> {
  return runGroup('credits', { add }, CREDITS_USAGE, args);
}

async function add(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(args, { reason: { type: 'string' } });
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
