import type { Command } from 'commander';
import { resolveBase } from '../../core/images/base.ts';
import { buildImages, imageStates } from '../../core/images/build.ts';
import { print, requireEngine } from '../options.ts';

export function addImagesCommand(program: Command): void {
  const images = program.command('images').description('the images built from services/<name>/ (Debian packages, offline)');
  images
    .command('build')
    .description('build services/<name> images (all by default); unchanged folders are skipped')
    .argument('[names...]', 'image folders under services/')
    .option('--force', 'rebuild even when the folder did not change')
    .option('--no-cache', "ignore the engine's layer cache (picks up Debian security updates)")
    .option('--verbose', 'print every build output line')
    .action(async (names: string[], flags: { force?: boolean; cache: boolean; verbose?: boolean }) => {
      await requireEngine();
      await buildImages({ names, force: flags.force ?? false, noCache: !flags.cache, verbose: flags.verbose ?? false });
    });
  images
    .command('list')
    .description('every image, its content hash and whether it is up to date')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      await requireEngine();
      const states = await imageStates(await resolveBase({ create: false }).catch(() => resolveBase()));
      print(flags.json ?? false, states, () => states.map((s) => `${s.upToDate ? 'up to date' : s.builtHash ? 'stale     ' : 'not built '}  ${s.ref}  ${s.wantedHash}`).join('\n'));
    });
}
