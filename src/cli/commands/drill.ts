import type { Command } from 'commander';
import { withTimeout } from '../../core/docker/engine.ts';
import { attach } from '../../env/environment.ts';
import { DRILLS, scenarioByName } from '../../scenarios/index.ts';
import { formatReport, runScenario, type ScenarioReport } from '../../scenarios/scenario.ts';
import { UsageError, onInterrupt, print, projectOption, requireEngine } from '../options.ts';

export function addDrillCommand(program: Command): void {
  program
    .command('drill')
    .description(`run fault scenarios against the running environment and judge them by its profile's promises (${DRILLS.map((d) => d.name).join(', ')})`)
    .argument('[names...]', 'drills to run, in order')
    .option('--all', 'every drill, in the order listed')
    .option('--list', 'list the drills with their claims')
    .addOption(projectOption())
    .option('--json', 'the reports as JSON on stdout')
    .action(async (names: string[], flags: { all?: boolean; list?: boolean; project: string; json?: boolean }) => {
      if (flags.list) {
        process.stdout.write(`${DRILLS.map((d) => `${d.name.padEnd(20)} ${d.claim}`).join('\n')}\n`);
        return;
      }
      if (!flags.all && !names.length) throw new UsageError(`name a drill or use --all: ${DRILLS.map((d) => d.name).join(', ')}`);
      const drills = flags.all ? DRILLS : names.map((n) => {
        try {
          return scenarioByName(n, DRILLS);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      });
      await requireEngine();
      const stack = await attach(flags.project);
      const interrupted = new AbortController();
      let current: Promise<unknown> = Promise.resolve();
      const disarm = onInterrupt('drill interrupted: running its rollbacks so that the environment is left as it was found', async () => {
        interrupted.abort();
        await withTimeout(current, 300_000, 'the rollbacks did not finish').catch((e: Error) => process.stderr.write(`${e.message}\n`));
      });
      const reports: ScenarioReport[] = [];
      try {
        for (const drill of drills) {
          const running = runScenario(drill, stack, { idPrefix: `env.${drill.name.replace(/-/g, '_')}`, signal: interrupted.signal });
          current = running;
          const report = await running;
          reports.push(report);
          if (interrupted.signal.aborted) break;
          if (!flags.json) process.stdout.write(formatReport(report));
        }
      } finally {
        disarm();
      }
      const held = reports.filter((r) => r.ok).length;
      print(flags.json ?? false, reports, () => `\n${held}/${reports.length} drills held (${stack.profile.name} profile, environment ${stack.project})`);
      process.exitCode = held === reports.length ? 0 : 1;
    });
}
