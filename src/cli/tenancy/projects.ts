/** `turnpike projects create | list | show | update`. */
import type { Project } from '../../tenancy/model.js';
import { expectPositionals, UsageError } from '../parse-flags.js';
import { runGroup } from '../run-command.js';
import { withAdminSession } from './admin-session.js';
import { adminUsage, parseAdminFlags, required, wholeNumber } from './flags.js';
import { isUsable } from './key-status.js';
import { findPlan, findProject } from './lookup.js';
import { formatCount, formatTime, printFields, printJson, printTable } from './output.js';

export const PROJECTS_USAGE = `Usage: turnpike projects <command> [--database …] [--schema S] [--config F] [--json]

Commands:
  create --name N --plan <id|name> [--credits C]   a new project (--credits: prepaid compute units)
  list                                            every project
  show <id|name>                                  one project, its credits and this month's usage
  update <id|name> [--name N] [--plan <id|name>]  rename or move to another plan

'turnpike projects <command> --help' lists the options of a command.
`;

const COMMANDS = {
  create: {
    usage: adminUsage(
      'projects create --name N --plan <id|name> [--credits C]',
      'Creates a project (one tenant) on a plan.',
      `  --name N              unique name (required)
  --plan <id|name>      the plan it is on (required)
  --credits C           prepaid compute units; without it the project is not prepaid
`,
    ),
    run: create,
  },
  list: { usage: adminUsage('projects list', 'Lists every project.'), run: list },
  show: {
    usage: adminUsage('projects show <id|name>', "Shows one project, its credits and this month's usage."),
    run: show,
  },
  update: {
    usage: adminUsage(
      'projects update <id|name> [--name N] [--plan <id|name>]',
      'Renames a project or moves it to another plan.',
      `  --name N              the new name
  --plan <id|name>      the new plan
`,
    ),
    run: update,
  },
};

export function runProjects(args: string[]): Promise<number> {
  return runGroup('projects', PROJECTS_USAGE, COMMANDS, args);
}

async function create(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {
    name: { type: 'string' },
    plan: { type: 'string' },
    credits: { type: 'string' },
  });
  expectPositionals(positionals, []);
  const name = required('name', values.name);
  const planRef = required('plan', values.plan);
  const credits = values.credits === undefined ? undefined : wholeNumber('--credits', values.credits);
  await withAdminSession(values, async (session) => {
    const plan = await findPlan(session.store, planRef);
    const project = await session.store.createProject({
      name,
      planId: plan.id,
      ...(credits !== undefined && { credits }),
    });
    await session.announceChange();
    if (values.json) return printJson(project);
    printFields(projectFields(project, plan.name));
  });
}

async function list(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {});
  expectPositionals(positionals, []);
  await withAdminSession(values, async (session) => {
    const [projects, plans] = await Promise.all([session.store.listProjects(), session.store.listPlans()]);
    if (values.json) return printJson(projects);
    const planNames = new Map(plans.map((plan) => [plan.id, plan.name]));
    printTable(
      [
        { title: 'ID' },
        { title: 'NAME' },
        { title: 'PLAN' },
        { title: 'CREDITS', align: 'right' },
        { title: 'CREATED' },
      ],
      projects.map((project) => [
        project.id,
        project.name,
        planNames.get(project.planId) ?? project.planId,
        creditsText(project.credits),
        formatTime(project.createdAt),
      ]),
    );
  });
}

async function show(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {});
  const [idOrName] = expectPositionals(positionals, ['id|name']);
  await withAdminSession(values, async (session) => {
    const { store } = session;
    const project = await findProject(store, idOrName);
    const now = Date.now();
    const [plan, balances, keys] = await Promise.all([
      store.getPlan(project.planId),
      store.balances([project.id], now),
      store.listKeys({ projectId: project.id }),
    ]);
    const balance = balances.get(project.id);
    const month = {
      requests: balance?.monthRequests ?? 0,
      computeUnits: balance?.monthComputeUnits ?? 0,
    };
    const active = keys.filter((key) => isUsable(key, now));
    if (values.json) {
      // Credits come from the balance read, the same figure the gateway enforces.
      const credits = balance?.credits ?? project.credits;
      return printJson({
        ...project,
        ...(credits !== undefined && { credits }),
        planName: plan?.name,
        monthToDate: month,
        keys: { total: keys.length, active: active.length },
      });
    }
    printFields([
      ...projectFields(
        { ...project, ...(balance?.credits !== undefined && { credits: balance.credits }) },
        plan?.name,
      ),
      [
        'this month',
        `${formatCount(month.requests)} requests, ${formatCount(month.computeUnits)} compute units`,
      ],
      ['keys', `${active.length} usable of ${keys.length}`],
    ]);
  });
}

async function update(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {
    name: { type: 'string' },
    plan: { type: 'string' },
  });
  const [idOrName] = expectPositionals(positionals, ['id|name']);
  if (values.name === undefined && values.plan === undefined)
    throw new UsageError('nothing to change: give --name and/or --plan');
  const name = values.name === undefined ? undefined : required('name', values.name);
  await withAdminSession(values, async (session) => {
    const current = await findProject(session.store, idOrName);
    const plan = values.plan === undefined ? undefined : await findPlan(session.store, values.plan);
    const project = await session.store.updateProject(current.id, {
      ...(name !== undefined && { name }),
      ...(plan !== undefined && { planId: plan.id }),
    });
    await session.announceChange();
    if (values.json) return printJson(project);
    const planName = plan?.name ?? (await session.store.getPlan(project.planId))?.name;
    printFields(projectFields(project, planName));
  });
}

export function projectFields(project: Project, planName: string | undefined): [string, string][] {
  return [
    ['id', project.id],
    ['name', project.name],
    ['plan', planName === undefined ? project.planId : `${planName} (${project.planId})`],
    ['credits', creditsText(project.credits)],
    ['created', formatTime(project.createdAt)],
  ];
}

/** No credits at all means the project is not prepaid, which is not the same as zero left. */
export function creditsText(credits: number | undefined): string {
  return credits === undefined ? 'not prepaid' : formatCount(credits);
}
