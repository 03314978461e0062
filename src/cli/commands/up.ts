import type { Command } from 'commander';
import { withTimeout } from '../../core/docker/engine.ts';
import type { ProfileName } from '../../core/profiles.ts';
import { down, endpoints, status, statusTable, up } from '../../env/environment.ts';
import { collectCounts, collectPairs, onInterrupt, profileOption, projectOption, requireEngine } from '../options.ts';

interface UpFlags {
  profile: ProfileName;
  project: string;
  replicas?: Record<string, number>;
  set?: Record<string, string>;
}

export function addUpCommand(program: Command): void {
  program
    .command('up')
    .description('start the environment (or the named services and their dependencies), wait until healthy, print the endpoints')
    .argument('[services...]', 'services to run (default: the whole stack)')
    .addOption(profileOption())
    .addOption(projectOption())
    .option('--replicas <service=count>', 'instances of a service within its scale (repeatable)', collectCounts)
    .option('--set <key=value>', 'a stack option, e.g. postgres.synchronous=off (repeatable)', collectPairs)
    .action(async (services: string[], flags: UpFlags) => {
      await requireEngine();
      const stop = new AbortController();
      let running: Promise<unknown> = Promise.resolve();
      const disarm = onInterrupt('up was interrupted: removing what it started so that nothing is left half-started', async () => {
        stop.abort();
        await withTimeout(running.catch(() => undefined), 30_000, 'up did not stop').catch(() => undefined);
        await down(flags.project);
      });
      try {
        const starting = up({ project: flags.project, profile: flags.profile, services, ...(flags.replicas ? { replicas: flags.replicas } : {}), ...(flags.set ? { options: flags.set } : {}), signal: stop.signal });
        running = starting;
        const report = await starting;
        const headline = report.started.length ? `environment ${flags.project} up in ${report.seconds} s (${report.started.length} instances started)` : `environment ${flags.project} already up: nothing started`;
        const unavailable = report.unavailable.length ? `\nunavailable here (not started):\n${report.unavailable.map((u) => `  ${u.service}: ${u.reason}`).join('\n')}\n` : '';
        const table = (await endpoints(report.stack)).map((e) => `  ${e.name.padEnd(28)} ${e.url}`).join('\n');
        process.stdout.write(
          `\n${headline} (${report.stack.profile.name} profile)\n\n${statusTable(await status(report.stack))}\n${unavailable}\nendpoints (127.0.0.1 only):\n${table}\n\n` +
            `credentials: \`refstack env${flags.project === 'refstack' ? '' : ` --project ${flags.project}`}\` prints them as connection strings\n`,
        );
      } catch (error) {
        // Interrupted: the handler removes what was started and exits; its error is not the story.
        if (stop.signal.aborted) await new Promise(() => undefined);
        throw error;
      } finally {
        disarm();
      }
    });
}
