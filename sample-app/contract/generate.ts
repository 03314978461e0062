import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveBudgets } from '../src/shared/budgets.ts';
import { measuredFromResults, renderContract, type MeasuredFigures } from './render.ts';

/**
 * Writes sample-app/CONTRACT.md from the contract table (default budgets), filling the figures
 * found in a results file: `--results <file>` (default reports/latest/results.json when it exists),
 * `--no-results` for none. `--check` only reports whether the file is up to date (exit 1 if not).
 *   node --import tsx sample-app/contract/generate.ts [--results <file> | --no-results] [--check]
 */
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
export const CONTRACT_PATH = join(here, '..', 'CONTRACT.md');
const DEFAULT_RESULTS = join(repo, 'reports', 'latest', 'results.json');

function measured(args: string[]): MeasuredFigures | undefined {
  if (args.includes('--no-results')) return undefined;
  const at = args.indexOf('--results');
  const file = at >= 0 ? args[at + 1] : existsSync(DEFAULT_RESULTS) ? DEFAULT_RESULTS : undefined;
  if (!file) return undefined;
  return measuredFromResults(JSON.parse(readFileSync(file, 'utf8')), relative(repo, file));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const text = renderContract(deriveBudgets(), measured(args));
  if (args.includes('--check')) {
    const current = existsSync(CONTRACT_PATH) ? readFileSync(CONTRACT_PATH, 'utf8') : '';
    process.stdout.write(current === text ? 'CONTRACT.md is up to date\n' : 'CONTRACT.md is stale: run node --import tsx sample-app/contract/generate.ts\n');
    process.exit(current === text ? 0 : 1);
  }
  writeFileSync(CONTRACT_PATH, text);
  process.stdout.write(`wrote ${relative(process.cwd(), CONTRACT_PATH)}\n`);
}
