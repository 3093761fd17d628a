/** `turnpike plans create | list | show | update | delete`. */
import type { Plan } from '../../tenancy/model.js';
import { expectPositionals } from '../parse-flags.js';
import { runGroup } from '../run-command.js';
import { withAdminSession } from './admin-session.js';
import { adminUsage, parseAdminFlags } from './flags.js';
import { findPlan } from './lookup.js';
import { formatCount, formatTime, printFields, printJson, printTable } from './output.js';
import {
  PLAN_CLEAR_HELP,
  PLAN_CLEAR_OPTIONS,
  PLAN_FLAGS_HELP,
  PLAN_OPTIONS,
  planInputFromFlags,
  planUpdateFromFlags,
} from './plan-flags.js';

export const PLANS_USAGE = `Usage: turnpike plans <command> [--database …] [--schema S] [--config F] [--json]

Commands:
  create --name N [plan flags]          a new plan
  list                                  every plan
  show <id|name>                        one plan in full
  update <id|name> [plan flags] [--no-rate] [--no-per-method] [--no-quota] [--all-networks] [--all-methods]
  delete <id|name>                      refused while a project uses it

Plan flags:
  --rate R             requests per second per key (GCRA); --burst B (default: one second's worth)
  --per-method         rate limit each method of a key separately (not the key as a whole)
  --quota Q            monthly quota; --quota-unit requests|compute_units (default requests)
  --networks a,b       only these networks (default: all)
  --allow m1,m2        only these methods (default: all); --deny m3 always refused
  --cu m=N,m2=N        compute units per method, over the built-in table

'turnpike plans <command> --help' lists the options of a command.
`;

const COMMANDS = {
  create: {
    usage: adminUsage('plans create --name N [plan options]', 'Creates a plan.', PLAN_FLAGS_HELP),
    run: create,
  },
  list: { usage: adminUsage('plans list', 'Lists every plan.'), run: list },
  show: { usage: adminUsage('plans show <id|name>', 'Shows one plan in full.'), run: show },
  update: {
    usage: adminUsage(
      'plans update <id|name> [plan options]',
      'Changes only what the options name.',
      PLAN_FLAGS_HELP + PLAN_CLEAR_HELP,
    ),
    run: update,
  },
  delete: {
    usage: adminUsage('plans delete <id|name>', 'Deletes a plan; refused while a project uses it.'),
    run: remove,
  },
};

export function runPlans(args: string[]): Promise<number> {
  return runGroup('plans', PLANS_USAGE, COMMANDS, args);
}

async function create(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, PLAN_OPTIONS);
  expectPositionals(positionals, []);
  const input = planInputFromFlags(values);
  await withAdminSession(values, async (session) => {
    const plan = await session.store.createPlan(input);
    await session.announceChange();
    printPlan(plan, values.json);
  });
}

async function list(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {});
  expectPositionals(positionals, []);
  await withAdminSession(values, async (session) => {
    const plans = await session.store.listPlans();
    if (values.json) return printJson(plans);
    printTable(
      [
        { title: 'ID' },
        { title: 'NAME' },
        { title: 'RATE' },
        { title: 'QUOTA' },
        { title: 'NETWORKS' },
        { title: 'METHODS' },
      ],
      plans.map((plan) => [
        plan.id,
        plan.name,
        rateText(plan),
        quotaText(plan),
        networksText(plan),
        methodsText(plan),
      ]),
    );
  });
}

async function show(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {});
  const [idOrName] = expectPositionals(positionals, ['id|name']);
  await withAdminSession(values, async (session) => {
    printPlan(await findPlan(session.store, idOrName), values.json);
  });
}

async function update(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, { ...PLAN_OPTIONS, ...PLAN_CLEAR_OPTIONS });
  const [idOrName] = expectPositionals(positionals, ['id|name']);
  const patchOf = planUpdateFromFlags(values);
  await withAdminSession(values, async (session) => {
    const current = await findPlan(session.store, idOrName);
    const plan = await session.store.updatePlan(current.id, patchOf(current));
    await session.announceChange();
    printPlan(plan, values.json);
  });
}

async function remove(args: string[]): Promise<void> {
  const { values, positionals } = parseAdminFlags(args, {});
  const [idOrName] = expectPositionals(positionals, ['id|name']);
  await withAdminSession(values, async (session) => {
    const plan = await findPlan(session.store, idOrName);
    await session.store.deletePlan(plan.id);
    await session.announceChange();
    if (values.json) printJson({ deleted: plan.id });
    else process.stdout.write(`deleted plan ${plan.id} (${plan.name})\n`);
  });
}

function printPlan(plan: Plan, json: boolean | undefined): void {
  if (json) {
    printJson(plan);
    return;
  }
  printFields([
    ['id', plan.id],
    ['name', plan.name],
    ['rate', rateText(plan)],
    ['quota', quotaText(plan)],
    ['networks', networksText(plan)],
    ['methods', plan.allowedMethods === undefined ? 'all' : listText(plan.allowedMethods)],
    ['denied', plan.deniedMethods.length === 0 ? 'none' : plan.deniedMethods.join(', ')],
    ['compute units', computeUnitsText(plan)],
    ['created', formatTime(plan.createdAt)],
    ['updated', formatTime(plan.updatedAt)],
  ]);
}

function rateText(plan: Plan): string {
  if (plan.rateLimit === undefined) return 'unlimited';
  const { perSecond, burst } = plan.rateLimit;
  return `${formatCount(perSecond)}/s burst ${formatCount(burst)}${plan.ratePerMethod ? ' per method' : ''}`;
}

function quotaText(plan: Plan): string {
  if (plan.monthlyQuota === undefined) return 'none';
  const unit = plan.quotaUnit === 'compute_units' ? 'compute units' : 'requests';
  return `${formatCount(plan.monthlyQuota)} ${unit}/month`;
}

function networksText(plan: Plan): string {
  return plan.allowedNetworks === undefined ? 'all' : listText(plan.allowedNetworks);
}

function methodsText(plan: Plan): string {
  const allowed = plan.allowedMethods === undefined ? 'all' : listText(plan.allowedMethods);
  return plan.deniedMethods.length === 0 ? allowed : `${allowed} except ${plan.deniedMethods.join(',')}`;
}

function computeUnitsText(plan: Plan): string {
  const entries = Object.entries(plan.computeUnits);
  return entries.length === 0
    ? 'built-in table'
    : entries.map(([method, units]) => `${method}=${units}`).join(', ');
}

function listText(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.join(',');
}
