import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { withTimeout } from '../../core/docker/engine.ts';
import type { ProfileName } from '../../core/profiles.ts';
import { loadExperiments, parseExperiment } from '../../chaos/load.ts';
import { runExperiments } from '../../chaos/run.ts';
import { CHAOS_STACK, chaosUpCommand } from '../../chaos/stack.ts';
import type { Experiment } from '../../chaos/experiment.ts';
import { attach, up, endpoints, status, statusTable } from '../../env/environment.ts';
import { formatReport } from '../../scenarios/scenario.ts';
import { PROFILE_NAMES } from '../../core/profiles.ts';
import { UsageError, onInterrupt, print, projectOption, requireEngine } from '../options.ts';

const CHAOS_PROJECT = 'chaos';

export function addChaosCommand(program: Command): void {
  const chaos = program.command('chaos').description('declarative resilience experiments (chaos/experiments/*.yaml)');

  chaos
    .command('list')
    .description('every experiment with its claim, method and expected alerts (validated: a bad file is an error)')
    .option('--json', 'as JSON')
    .action((flags: { json?: boolean }) => {
      const experiments = load();
      print(flags.json ?? false, experiments.map(summary), () => experiments.map((e) => `${e.name.padEnd(24)} ${e.claim}\n${' '.repeat(25)}method: ${methodLine(e)}${e.alerts.length ? `; alerts: ${e.alerts.map((a) => `${a.name} (${a.severity})`).join(', ')}` : ''}`).join('\n'));
    });

  chaos
    .command('up')
    .description('start the environment the experiments run on: the whole stack, test profile, Toxiproxy routes, fault switches (refstack up with chaos options)')
    .addOption(projectOption().default(CHAOS_PROJECT))
    .action(async (flags: { project: string }) => {
      await requireEngine();
      process.stderr.write(`» ${chaosUpCommand(flags.project)}\n`);
      const report = await up({ project: flags.project, profile: CHAOS_STACK.profile, services: CHAOS_STACK.services, options: CHAOS_STACK.options });
      const table = (await endpoints(report.stack)).map((e) => `  ${e.name.padEnd(28)} ${e.url}`).join('\n');
      process.stdout.write(`\nchaos environment ${flags.project} up in ${report.seconds} s\n\n${statusTable(await status(report.stack))}\n\nendpoints:\n${table}\n\nnext: refstack chaos run --all --project ${flags.project}\n`);
    });

  chaos
    .command('run')
    .description('run experiments against the running environment with a live timeline; exit 1 when a hypothesis, a figure or an alert deadline is missed')
    .argument('[names...]', 'experiments to run, in order')
    .option('--all', 'every experiment in chaos/experiments/')
    .option('--every-run', 'the subset npm test runs')
    .option('--file <paths...>', 'experiment files outside chaos/experiments/ (validated the same way)')
    .addOption(projectOption().default(CHAOS_PROJECT))
    .addOption(new Option('--profile <name>', "the profile the environment must run (its promises are the deadlines); default: the environment's").choices(PROFILE_NAMES))
    .option('--json', 'the journals and the score as JSON on stdout')
    .action(async (names: string[], flags: { all?: boolean; everyRun?: boolean; file?: string[]; project: string; profile?: ProfileName; json?: boolean }) => {
      const experiments = select(names, flags);
      await requireEngine();
      const stack = await attach(flags.project).catch((error: Error) => {
        throw new Error(`${error.message}\n  the experiments' environment: refstack chaos up --project ${flags.project}   (= ${chaosUpCommand(flags.project)})`);
      });
      if (flags.profile && stack.profile.name !== flags.profile) {
        throw new UsageError(`environment ${stack.project} runs the ${stack.profile.name} profile, not ${flags.profile}: its promises are what the experiments are judged by (start it with --profile ${flags.profile})`);
      }
      const interrupted = new AbortController();
      let current: Promise<unknown> = Promise.resolve();
      const disarm = onInterrupt('chaos run interrupted: running the current experiment\'s rollbacks so that the environment is left as it was found', async () => {
        interrupted.abort();
        await withTimeout(current, 300_000, 'the rollbacks did not finish').catch((e: Error) => process.stderr.write(`${e.message}\n`));
      });
      try {
        const running = runExperiments(stack, experiments, {
          signal: interrupted.signal,
          onReport: (report) => {
            if (!flags.json) process.stdout.write(formatReport(report));
          },
        });
        current = running;
        const result = await running;
        print(flags.json ?? false, { score: result.score, held: result.held, run: result.run, report: result.reportPath, journals: result.journals }, () => {
          const missed = result.journals.filter((j) => !j.report?.ok).map((j) => `  ${j.name}: ${j.report?.failures[0]?.split('\n')[0] ?? 'not run'}`);
          return `\n${result.held}/${result.run} experiments held — resilience score ${result.score.toFixed(2)} (${stack.profile.name} profile, environment ${stack.project}, ${result.seconds} s)${missed.length ? `\nnot held:\n${missed.join('\n')}` : ''}\ngame-day report: ${result.reportPath}\nresults: reports/${result.runId}/results.json (chaos.* figures and the journal)`;
        });
        process.exitCode = result.held === result.run && result.run === experiments.length ? 0 : 1;
      } finally {
        disarm();
      }
    });
}

function load(): Experiment[] {
  try {
    return loadExperiments();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function select(names: string[], flags: { all?: boolean; everyRun?: boolean; file?: string[] }): Experiment[] {
  const fromFiles = (flags.file ?? []).map((f) => {
    try {
      return parseExperiment(readFileSync(resolve(f), 'utf8'), resolve(f));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
  if (!flags.all && !flags.everyRun && !names.length && !fromFiles.length) throw new UsageError(`name experiments, or use --all or --every-run (refstack chaos list shows them)`);
  const all = load();
  const picked = flags.all ? all : flags.everyRun ? all.filter((e) => e.everyRun) : names.map((n) => all.find((e) => e.name === n) ?? unknown(n, all));
  return [...picked, ...fromFiles];
}

function unknown(name: string, all: Experiment[]): never {
  throw new UsageError(`unknown experiment "${name}": use one of ${all.map((e) => e.name).join(', ')}`);
}

const methodLine = (e: Experiment) => e.method.map((m) => (m.kind === 'scenario' ? `scenario ${m.scenario}` : `${m.fault} on ${m.targets.map((t) => `${t.service}${t.role ? `(${t.role})` : ''}`).join('+')} ${m.duration} s`)).join(', then ');

const summary = (e: Experiment) => ({ name: e.name, title: e.title, claim: e.claim, file: e.file, method: methodLine(e), alerts: e.alerts, drill: e.drill, everyRun: e.everyRun });
