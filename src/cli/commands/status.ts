import type { Command } from 'commander';
import { absentServices, absentTable } from '../../env/absent.ts';
import { attach, connectionVariables, status, statusTable } from '../../env/environment.ts';
import { composeEnvFile } from '../../stack/compose.ts';
import { environmentSecrets, withBackupSecrets } from '../../stack/secrets.ts';
import { print, projectOption, requireEngine } from '../options.ts';

export function addStatusCommand(program: Command): void {
  program
    .command('status')
    .description('health and role of every instance (Patroni leader and lag, Redis master, HAProxy routing, scrape targets, alerts); services not running here, laptop-only ones with the reason')
    .addOption(projectOption())
    .option('--json', 'machine-readable output')
    .option('--watch', 'refresh every 2 s until Ctrl-C')
    .action(async (flags: { project: string; json?: boolean; watch?: boolean }) => {
      await requireEngine();
      const stack = await attach(flags.project);
      if (flags.watch && !flags.json) {
        for (;;) {
          process.stdout.write(`\x1b[2J\x1b[H${new Date().toISOString()}  (Ctrl-C to stop)\n\n${statusTable(await status(stack))}\n`);
          await new Promise((r) => setTimeout(r, 2_000));
        }
      }
      const statuses = await status(stack);
      const absent = await absentServices(stack);
      // --json stays the instances' array (scripts read it); the services not running are in the table.
      print(flags.json ?? false, statuses, () => `${statusTable(statuses)}\n${absentTable(absent)}`.trimEnd());
    });
  program
    .command('env')
    .description("the environment's connection strings with its generated credentials, as shell exports")
    .addOption(projectOption())
    .option('--json', 'machine-readable output')
    .option('--compose', 'the env file compose/compose.yaml reads its credentials from (refstack env --compose > compose/.env)')
    .action(async (flags: { project: string; json?: boolean; compose?: boolean }) => {
      if (flags.compose) {
        process.stdout.write(composeEnvFile(withBackupSecrets(environmentSecrets(flags.project), flags.project)));
        return;
      }
      await requireEngine();
      const vars = await connectionVariables(await attach(flags.project));
      print(flags.json ?? false, vars, () => Object.entries(vars).map(([k, v]) => `export ${k}='${v}'`).join('\n'));
    });
}
