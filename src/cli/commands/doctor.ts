import type { Command } from 'commander';
import { formatChecks, runDoctor } from '../doctor.ts';
import { print } from '../options.ts';

export function addDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the engine, images, Node and free disk; prints the exact fix for each failure (exit 1)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const checks = await runDoctor();
      const ok = checks.every((c) => c.ok);
      print(flags.json ?? false, { ok, checks }, () => formatChecks(checks));
      process.exitCode = ok ? 0 : 1;
    });
}
