import { InvalidArgumentError, Option, type Command } from 'commander';
import { PROFILE_NAMES, DEFAULT_PROFILE, type ProfileName } from '../core/profiles.ts';
import { step } from '../core/progress.ts';
import { DEFAULT_PROJECT, assertProjectName } from '../stack/docker/placement.ts';
import { engineCheck } from './doctor.ts';

export const profileOption = () =>
  new Option('--profile <name>', 'timing profile (src/core/profiles.ts): its promises are what drills judge against').choices(PROFILE_NAMES).default(DEFAULT_PROFILE);

export const projectOption = () =>
  new Option('--project <name>', 'the environment to act on: a second environment runs under another name, on engine-picked ports')
    .default(DEFAULT_PROJECT)
    .argParser((value: string) => {
      try {
        assertProjectName(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      return value;
    });

/** `key=value`, repeatable, into a record (`--set postgres.synchronous=off --set sample-app.faults=on`). */
export function collectPairs(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`"${value}" is not key=value`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** `service=count`, repeatable (`--replicas sample-api=3`). */
export function collectCounts(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const [service, count] = value.split('=');
  if (!service || !count || !/^\d+$/.test(count)) throw new InvalidArgumentError(`"${value}" is not service=count`);
  return { ...previous, [service]: Number(count) };
}

export type ProfileFlag = { profile: ProfileName };

export async function requireEngine(): Promise<void> {
  const check = await engineCheck();
  if (!check.ok) throw new Error(`the Docker engine is not reachable: ${check.detail}\n  fix: ${check.fix}`);
}

/**
 * Runs `cleanup` on the first Ctrl-C (or SIGTERM) and exits 130 after it; a second Ctrl-C while it
 * runs is ignored so that the cleanup is not cut short. Returns the function that disarms it.
 */
export function onInterrupt(message: string, cleanup: () => Promise<unknown>): () => void {
  const ignore = () => undefined;
  const handler = () => {
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    step(message);
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** JSON on stdout for --json, else text: progress always goes to stderr, so --json output stays parseable. */
export function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** A mistake in how a command was called (exit 2), found after commander parsed it. */
export class UsageError extends Error {}

/**
 * Every command as the README documents it: `refstack <command> <arguments> <options>` and what it does,
 * rendered from the program itself (a unit test keeps the README's CLI block equal to this).
 */
export function cliReference(program: Command): string {
  const leaves = (c: Command, path: string[]): Array<{ path: string[]; command: Command }> =>
    c.commands.length ? c.commands.flatMap((sub) => leaves(sub, [...path, sub.name()])) : [{ path, command: c }];
  return program.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => leaves(c, [c.name()]))
    .map(({ path, command }) => {
      const args = command.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`));
      const options = command.options.map((o) => `[${o.flags}]`);
      return `refstack ${[...path, ...args, ...options].join(' ')}
    ${command.description()}`;
    })
    .join('\n');
}
