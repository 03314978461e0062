import type { Command } from 'commander';
import { withTimeout } from '../../core/docker/engine.ts';
import { recordResult } from '../../core/results/results.ts';
import { chaosUpCommand } from '../../chaos/stack.ts';
import { cellScenario, matrixCells } from '../../contract/index.ts';
import { attach } from '../../env/environment.ts';
import { formatReport, runScenario, type ScenarioReport } from '../../scenarios/scenario.ts';
import { ROUTES_OPTION, ROUTE_NAMES, routesOf } from '../../../services/toxiproxy/routes.ts';
import { UsageError, onInterrupt, print, projectOption, requireEngine } from '../options.ts';

const cellName = (id: string) => id.replace(/^contract\./, '').replace(/[._]/g, '-');

/** `refstack contract`: the sample app's fault matrix (sample-app/CONTRACT.md) against a running environment started with the chaos options. */
export function addContractCommand(program: Command): void {
  program
    .command('contract')
    .description('run cells of the sample API\'s fault matrix (dependency × state) against the running environment; each records contract.<dependency>.<fault>.* with its bound')
    .argument('[cells...]', 'cells to run, in order (e.g. postgres-primary-hung rabbitmq-refusing)')
    .option('--all', 'every cell this stack can produce')
    .option('--list', 'list the cells, with the ones not run here and why')
    .addOption(projectOption())
    .option('--json', 'the reports as JSON on stdout')
    .action(async (names: string[], flags: { all?: boolean; list?: boolean; project: string; json?: boolean }) => {
      const cells = matrixCells();
      if (flags.list) {
        process.stdout.write(`${cells.map(({ cell, notRunHere }) => `${cellName(cell.id).padEnd(32)} ${notRunHere ? `not run here: ${notRunHere}` : cell.injection}`).join('\n')}\n`);
        return;
      }
      const runnable = cells.filter((c) => !c.notRunHere);
      if (!flags.all && !names.length) throw new UsageError(`name a cell or use --all (refstack contract --list shows them): ${runnable.map((c) => cellName(c.cell.id)).join(', ')}`);
      const chosen = flags.all
        ? runnable
        : names.map((n) => {
            const found = cells.find((c) => cellName(c.cell.id) === n);
            if (!found) throw new UsageError(`unknown cell "${n}": refstack contract --list shows them`);
            if (found.notRunHere) throw new UsageError(`cell ${n} is not run here: ${found.notRunHere}`);
            return found;
          });
      await requireEngine();
      const stack = await attach(flags.project);
      const missing = ROUTE_NAMES.filter((r) => !routesOf(stack.option(ROUTES_OPTION)).includes(r));
      if (!stack.has('toxiproxy') || missing.length) throw new UsageError(`environment ${stack.project} does not route the API through Toxiproxy (${missing.join(', ') || 'no toxiproxy'}): start it with \`${chaosUpCommand(stack.project)}\``);
      const interrupted = new AbortController();
      let current: Promise<unknown> = Promise.resolve();
      const disarm = onInterrupt('contract cells interrupted: running their rollbacks', async () => {
        interrupted.abort();
        await withTimeout(current, 300_000, 'the rollbacks did not finish').catch((e: Error) => process.stderr.write(`${e.message}\n`));
      });
      const reports: ScenarioReport[] = [];
      try {
        for (const { cell } of chosen) {
          if (interrupted.signal.aborted) break;
          const running = runScenario(cellScenario(cell.dependency, cell.fault), stack, { signal: interrupted.signal });
          current = running;
          const report = await running;
          for (const f of report.figures) recordResult({ id: f.id, value: f.value, unit: f.unit, ...(f.target ? { target: f.target } : {}), ...(f.note ? { note: f.note } : {}), suite: 'refstack contract' });
          reports.push(report);
          if (!flags.json) process.stdout.write(formatReport(report));
        }
        const held = reports.filter((r) => r.ok).length;
        print(flags.json ?? false, reports, () => `\n${held}/${reports.length} cells held their contract (${stack.profile.name} profile, environment ${stack.project})`);
        process.exitCode = held === chosen.length ? 0 : 1;
      } finally {
        disarm();
      }
    });
}
