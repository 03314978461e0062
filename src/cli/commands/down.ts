import type { Command } from 'commander';
import { removeEverything } from '../../core/docker/cleanup.ts';
import { down } from '../../env/environment.ts';
import { projectOption, requireEngine } from '../options.ts';

export function addDownCommand(program: Command): void {
  program
    .command('down')
    .description('remove the environment: its containers, networks and (unless --keep-data) volumes and credentials')
    .addOption(projectOption())
    .option('--keep-data', 'keep the volumes (and the credentials that protect them)')
    .option('--all', 'remove everything refstack ever labelled, every project and test run')
    .action(async (flags: { project: string; keepData?: boolean; all?: boolean }) => {
      await requireEngine();
      const removed = flags.all ? await removeEverything() : await down(flags.project, { keepData: flags.keepData ?? false });
      process.stdout.write(`removed ${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes\n`);
    });
}
