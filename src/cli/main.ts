import { Command, CommanderError } from 'commander';
import { addChaosCommand } from './commands/chaos.ts';
import { addContractCommand } from './commands/contract.ts';
import { addDoctorCommand } from './commands/doctor.ts';
import { addDownCommand } from './commands/down.ts';
import { addDrillCommand } from './commands/drill.ts';
import { addGenerateCommand } from './commands/generate.ts';
import { addImagesCommand } from './commands/images.ts';
import { addStatusCommand } from './commands/status.ts';
import { addUpCommand } from './commands/up.ts';
import { UsageError } from './options.ts';

/** The `refstack` program: one `addXCommand(program)` per command. */
export function buildProgram(): Command {
  const program = new Command('refstack')
    .description('local reference environment and resilience test harness')
    .showHelpAfterError('(run `refstack help <command>` for its options)')
    .exitOverride();
  addDoctorCommand(program);
  addImagesCommand(program);
  addUpCommand(program);
  addStatusCommand(program);
  addDownCommand(program);
  addDrillCommand(program);
  addChaosCommand(program);
  addContractCommand(program);
  addGenerateCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI: usage errors exit 2 with the usage, failures exit 1 with what to do next. */
export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    if (!argv.length) {
      program.outputHelp();
      return;
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n(run \`refstack help <command>\` for its options)\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof CommanderError) {
      // --help and --version exit 0; commander already printed the usage error and the help hint.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`refstack: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
