import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { currentRunId } from '../docker/labels.ts';
import { REPORTS_DIR } from '../paths.ts';
import type { ResultRecord } from './record.ts';
import { formatTarget, meets, type Target } from './target.ts';

export type { ResultRecord };

export interface ResultsFile {
  schema: 1;
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  host: { cpus: number; memGiB: number; docker: string | null };
  results: ResultRecord[];
  /** Journals of the chaos experiments run (src/chaos/journal.ts), when any ran: steps, probes, alerts seen, client series. */
  journal?: unknown[];
}

export interface Measurement {
  id: string;
  value: number;
  unit: string;
  /** Omit for figures that are reported only (e.g. asynchronous-replication loss). */
  target?: Target;
  /** The plan's outer bound, judged beside the target (src/core/profiles.ts PLAN_BOUNDS). */
  bound?: Target;
  /** Repository-relative path of the suite that measured it. */
  suite: string;
  note?: string;
}

export const ID_PATTERN = /^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$/;

export function runDir(runId = currentRunId()): string {
  return join(REPORTS_DIR, runId);
}

/** Appends one measured figure to this run's results and returns it with its verdict. */
export function recordResult(m: Measurement): ResultRecord {
  if (!ID_PATTERN.test(m.id)) throw new Error(`result id "${m.id}" must look like "area.metric_name"`);
  const record: ResultRecord = {
    id: m.id,
    value: m.value,
    unit: m.unit,
    target: m.target ? formatTarget(m.target) : null,
    ...(m.bound ? { bound: formatTarget(m.bound) } : {}),
    pass: judge(m.value, m.target, m.bound),
    suite: m.suite,
    ...(m.note ? { note: m.note } : {}),
    at: new Date().toISOString(),
  };
  const dir = runDir();
  mkdirSync(dir, { recursive: true });
  // One line per record with O_APPEND: parallel test workers never overwrite each other.
  appendFileSync(join(dir, 'records.jsonl'), `${JSON.stringify(record)}\n`);
  writeResultsFile({ finished: false });
  return record;
}

/** Meets the target and the bound (each when given); a figure with neither passes when it is a finite number. */
export function judge(value: number, target?: Target, bound?: Target): boolean {
  if (!Number.isFinite(value)) return false;
  return (!target || meets(value, target)) && (!bound || meets(value, bound));
}

/** Appends one experiment journal to this run's results (one line per journal, like the records). */
export function recordJournal(journal: unknown, runId = currentRunId()): void {
  const dir = runDir(runId);
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'journal.jsonl'), `${JSON.stringify(journal)}\n`);
  writeResultsFile({ finished: false, runId });
}

function readJournals(runId: string): unknown[] | undefined {
  const file = join(runDir(runId), 'journal.jsonl');
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
}

export function readRecords(runId = currentRunId()): ResultRecord[] {
  const file = join(runDir(runId), 'records.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ResultRecord);
}

/** (Re)writes reports/<run>/results.json from the appended records and copies it to reports/latest. */
export function writeResultsFile(options: { finished: boolean; docker?: string | null; runId?: string }): ResultsFile {
  const runId = options.runId ?? currentRunId();
  const dir = runDir(runId);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'results.json');
  const previous = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ResultsFile) : undefined;
  const file: ResultsFile = {
    schema: 1,
    runId,
    startedAt: previous?.startedAt ?? process.env.REFSTACK_RUN_STARTED_AT ?? new Date().toISOString(),
    finishedAt: options.finished ? new Date().toISOString() : null,
    host: {
      cpus: cpus().length,
      memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      docker: options.docker ?? previous?.host.docker ?? process.env.REFSTACK_DOCKER_VERSION ?? null,
    },
    results: readRecords(runId),
  };
  const journal = readJournals(runId);
  if (journal) file.journal = journal;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(tmp, path);
  const latest = join(REPORTS_DIR, 'latest');
  mkdirSync(latest, { recursive: true });
  copyFileSync(path, join(latest, 'results.json'));
  return file;
}

export function summaryTable(file: ResultsFile): string {
  if (!file.results.length) return 'No measured results were recorded in this run.';
  const rows = file.results.map((r) => [r.pass ? 'PASS' : 'FAIL', r.id, `${round(r.value)} ${r.unit}`, `${r.target ?? '(reported)'}${r.bound ? ` (plan ${r.bound})` : ''}`, r.suite]);
  const header = ['', 'result', 'value', 'target', 'suite'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const failed = file.results.filter((r) => !r.pass).length;
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${file.results.length} results, ${failed} missed target${failed === 1 ? '' : 's'} — ${join('reports', file.runId, 'results.json')}`,
  ].join('\n');
}

function round(value: number | null): string {
  // NaN and ±Infinity are written to JSON as null: show what the suite measured, not a crash.
  if (value === null || !Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
