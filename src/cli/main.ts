import { parseArgs } from 'node:util';
import { removeEverything } from '../core/docker/cleanup.ts';
import { withTimeout } from '../core/docker/engine.ts';
import { engineCheck, formatChecks, runDoctor } from './doctor.ts';
import { drillNames, formatDrill, runDrill } from '../env/drills/drills.ts';
import { down, status, statusTable, up } from '../env/environment.ts';
import { formatUp, parseProfile } from '../env/report.ts';
import { buildImages, imageStates } from '../core/images/build.ts';
import { resolveBase } from '../core/images/base.ts';
import { step } from '../core/progress.ts';

export const USAGE = `refstack — local reference environment and resilience test harness

usage:
  refstack doctor [--json]                 check the engine, images, Node and disk; prints the fix for each failure
  refstack images build [name…] [--force] [--no-cache] [--verbose]
                                           build images/<name> (all by default); unchanged folders are skipped
  refstack images list [--json]            every image, its content hash and whether it is up to date
  refstack up [--profile test|production]  start the environment (default profile: production) and print its endpoints
  refstack status [--json] [--watch]       health and role of every service
  refstack down [--keep-data] [--all]      remove the environment (--all: everything refstack ever labelled)
  refstack drill <name> [--json]           run a fault scenario against the running environment
                                           (kill-primary, switchover, redis-master-kill, worker-stop)
  refstack help`;

export class UsageError extends Error {}

type Flags = { json?: boolean; force?: boolean; 'no-cache'?: boolean; verbose?: boolean; watch?: boolean; 'keep-data'?: boolean; all?: boolean; help?: boolean; profile?: string };

function parse(argv: string[], allowed: (keyof Flags)[], valued: (keyof Flags)[] = []): { flags: Flags; positionals: string[] } {
  const options = Object.fromEntries([...allowed.map((name) => [name, { type: 'boolean' as const }]), ...valued.map((name) => [name, { type: 'string' as const }])]);
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { flags: values as Flags, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor': {
      const { flags } = parse(rest, ['json']);
      const checks = await runDoctor();
      const ok = checks.every((c) => c.ok);
      process.stdout.write(flags.json ? `${JSON.stringify({ ok, checks }, null, 2)}\n` : `${formatChecks(checks)}\n`);
      return ok ? 0 : 1;
    }
    case 'images': {
      const [sub, ...names] = rest;
      if (sub === 'build') {
        const { flags, positionals } = parse(names, ['force', 'no-cache', 'verbose']);
        await requireEngine();
        await buildImages({ names: positionals, force: flags.force ?? false, noCache: flags['no-cache'] ?? false, verbose: flags.verbose ?? false });
        return 0;
      }
      if (sub === 'list') {
        const { flags } = parse(names, ['json']);
        await requireEngine();
        const states = await imageStates(await resolveBase({ create: false }).catch(() => resolveBase()));
        if (flags.json) process.stdout.write(`${JSON.stringify(states, null, 2)}\n`);
        else for (const s of states) process.stdout.write(`${s.upToDate ? 'up to date' : s.builtHash ? 'stale     ' : 'not built '}  ${s.ref}  ${s.wantedHash}\n`);
        return 0;
      }
      throw new UsageError(`unknown images subcommand "${sub ?? ''}": use \`refstack images build\` or \`refstack images list\``);
    }
    case 'up': {
      const { flags } = parse(rest, [], ['profile']);
      const profile = parseProfile(flags.profile, (m) => new UsageError(m));
      await requireEngine();
      const stop = new AbortController();
      let running: Promise<unknown> = Promise.resolve();
      const cancel = onInterrupt('up was interrupted: removing what it started so that nothing is left half-started', async () => {
        stop.abort();
        await withTimeout(running.catch(() => undefined), 30_000, 'up did not stop').catch(() => undefined);
        await down();
      });
      try {
        const started = up({ profile, signal: stop.signal });
        running = started;
        process.stdout.write(formatUp(await started));
      } catch (error) {
        // Interrupted: the handler removes what was started and exits; its error is not the story.
        if (stop.signal.aborted) await new Promise(() => undefined);
        throw error;
      } finally {
        cancel();
      }
      return 0;
    }
    case 'drill': {
      const { flags, positionals } = parse(rest, ['json']);
      const name = positionals[0];
      if (!name || positionals.length > 1) throw new UsageError(`drill needs one scenario name: ${drillNames().join(', ')}`);
      if (!drillNames().includes(name)) throw new UsageError(`unknown drill "${name}": use one of ${drillNames().join(', ')}`);
      await requireEngine();
      const report = await runDrill(name);
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatDrill(report));
      return report.figures.every((f) => f.pass) ? 0 : 1;
    }
    case 'status': {
      const { flags } = parse(rest, ['json', 'watch']);
      await requireEngine();
      if (flags.watch && !flags.json) {
        for (;;) {
          process.stdout.write(`\x1b[2J\x1b[H${new Date().toISOString()}  (Ctrl-C to stop)\n\n${statusTable(await status())}\n`);
          await new Promise((r) => setTimeout(r, 2_000));
        }
      }
      const statuses = await status();
      process.stdout.write(flags.json ? `${JSON.stringify(statuses, null, 2)}\n` : `${statusTable(statuses)}\n`);
      return 0;
    }
    case 'down': {
      const { flags } = parse(rest, ['keep-data', 'all']);
      await requireEngine();
      const removed = flags.all ? await removeEverything() : await down({ keepData: flags['keep-data'] ?? false });
      process.stdout.write(`removed ${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes\n`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function requireEngine(): Promise<void> {
  const check = await engineCheck();
  if (!check.ok) throw new Error(`the Docker engine is not reachable: ${check.detail}\n  fix: ${check.fix}`);
}

function onInterrupt(message: string, cleanup: () => Promise<unknown>): () => void {
  // A second Ctrl-C while cleaning up must not kill the cleanup: the handler is `once`, re-armed as a no-op.
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

export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`refstack: ${error.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`refstack: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}
