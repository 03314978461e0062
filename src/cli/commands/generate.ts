import type { Command } from 'commander';
import { checkArtefacts, writeArtefacts } from '../../env/artefacts.ts';

export function addGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('write what is rendered from the one stack: compose files and their configuration, alert rules, promtool tests, dashboards, runbooks')
    .option('--check', 'write nothing; exit 1 when a committed artefact is stale')
    .action((flags: { check?: boolean }) => {
      if (!flags.check) {
        process.stdout.write(`wrote ${writeArtefacts()} files\n`);
        return;
      }
      const s = checkArtefacts();
      const problems = [...s.stale.map((p) => `stale: ${p}`), ...s.missing.map((p) => `missing: ${p}`), ...s.extra.map((p) => `not generated: ${p}`)];
      process.stdout.write(problems.length ? `${problems.join('\n')}\nfix: refstack generate\n` : 'generated artefacts are up to date\n');
      process.exitCode = problems.length ? 1 : 0;
    });
}
