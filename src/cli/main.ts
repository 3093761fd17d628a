/**
 * `turnpike <command>`: start, dev, validate, and the tenancy admin commands. Each command's
 * module is loaded only when it runs, so `turnpike keys list` does not load the gateway.
 */

const USAGE = `Usage: turnpike <command> [options]

Commands:
  start --config <file> [--workers N] [--port P]   run the gateway (production)
  dev [--port 4000] [--workers N]                   local anvil + gateway at /local, no services needed
  validate <file>                                   check a config file; exit 2 on errors
  migrate                                           apply pending database migrations
  plans create|list|show|update|delete              rate limits, quotas and method rules
  projects create|list|show|update                  tenants, each on one plan
  credits add <project> <amount>                    prepaid compute units (negative to correct)
  keys create|list|rotate|revoke                    API keys (a secret is shown once)
  usage [--project P] [--group-by day,method]       metered usage
  bench <scenario.yaml> [--json F] [--html F]       open-model load test with a bottleneck verdict
  help                                              this text

Tenancy commands take --database <file | postgres://…> (else DATABASE_URL, else the storage
section of --config or ./turnpike.yaml, else turnpike.db), --schema S for PostgreSQL, and
--json. 'turnpike <command> help' lists its flags.
`;

export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return (await import('./start.js')).runStart(rest);
    case 'dev':
      return (await import('./dev.js')).runDev(rest);
    case 'validate':
      return (await import('./validate.js')).runValidate(rest);
    case 'migrate':
      return (await import('./tenancy/migrate.js')).runMigrate(rest);
    case 'plans':
      return (await import('./tenancy/plans.js')).runPlans(rest);
    case 'projects':
      return (await import('./tenancy/projects.js')).runProjects(rest);
    case 'credits':
      return (await import('./tenancy/credits.js')).runCredits(rest);
    case 'keys':
      return (await import('./tenancy/keys.js')).runKeys(rest);
    case 'usage':
      return (await import('./tenancy/usage.js')).runUsage(rest);
    case 'bench':
      return (await import('./bench.js')).runBench(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`turnpike: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
