import type { Command } from 'commander';
import { withTimeout } from '../../core/docker/engine.ts';
import { loadExperiments } from '../../chaos/load.ts';
import { runExperiments } from '../../chaos/run.ts';
import type { Experiment } from '../../chaos/experiment.ts';
import { attach } from '../../env/environment.ts';
import { formatReport } from '../../scenarios/scenario.ts';
import { UsageError, onInterrupt, print, projectOption, requireEngine } from '../options.ts';

/** The drills: the experiments of chaos/experiments/ marked `drill: true` (the same objects `refstack chaos run` runs). */
function drills(): Experiment[] {
  return loadExperiments().filter((e) => e.drill);
}

export function addDrillCommand(program: Command): void {
  program
    .command('drill')
    .description(`run the drill experiments against the running environment and judge them by its profile's promises (${drills().map((d) => d.name).join(', ')})`)
    .argument('[names...]', 'drills to run, in order')
    .option('--all', 'every drill, in the order listed')
    .option('--list', 'list the drills with their claims')
    .addOption(projectOption())
    .option('--json', 'the reports as JSON on stdout')
    .action(async (names: string[], flags: { all?: boolean; list?: boolean; project: string; json?: boolean }) => {
      const all = drills();
      if (flags.list) {
        process.stdout.write(`${all.map((d) => `${d.name.padEnd(20)} ${d.claim}`).join('\n')}\n`);
        return;
      }
      if (!flags.all && !names.length) throw new UsageError(`name a drill or use --all: ${all.map((d) => d.name).join(', ')}`);
      const chosen = flags.all ? all : names.map((n) => all.find((d) => d.name === n) ?? unknownDrill(n, all));
      await requireEngine();
      const stack = await attach(flags.project);
      const interrupted = new AbortController();
      let current: Promise<unknown> = Promise.resolve();
      const disarm = onInterrupt('drill interrupted: running its rollbacks so that the environment is left as it was found', async () => {
        interrupted.abort();
        await withTimeout(current, 300_000, 'the rollbacks did not finish').catch((e: Error) => process.stderr.write(`${e.message}\n`));
      });
      try {
        const running = runExperiments(stack, chosen, { scoreId: 'drill.resilience_score', signal: interrupted.signal, onReport: (report) => !flags.json && process.stdout.write(formatReport(report)) });
        current = running;
        const result = await running;
        print(flags.json ?? false, result.journals.map((j) => j.report), () => `\n${result.held}/${result.run} drills held (${stack.profile.name} profile, environment ${stack.project}); report: ${result.reportPath}`);
        process.exitCode = result.held === chosen.length ? 0 : 1;
      } finally {
        disarm();
      }
    });
}

function unknownDrill(name: string, all: Experiment[]): never {
  throw new UsageError(`unknown drill "${name}": use one of ${all.map((d) => d.name).join(', ')}`);
}
