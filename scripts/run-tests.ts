/**
 * `npm test`: runs the unit and integration projects under one run id, then writes
 * reports/<run-id>/results.json (+ reports/latest), prints the summary table, and fails when a test
 * failed or any measured figure missed its target. Ctrl-C removes whatever the run created.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { removeRun } from '../src/core/docker/cleanup.ts';
import { engineInfo } from '../src/core/docker/engine.ts';
import { newRunId } from '../src/core/docker/labels.ts';
import { runDir, summaryTable, writeResultsFile } from '../src/core/results/results.ts';

const runId = process.env.REFSTACK_RUN_ID ?? newRunId();
const env = {
  ...process.env,
  REFSTACK_RUN_ID: runId,
  REFSTACK_RUN_PID: String(process.pid),
  REFSTACK_RUN_STARTED_AT: new Date().toISOString(),
  TESTCONTAINERS_RYUK_DISABLED: 'true',
};
process.env.REFSTACK_RUN_ID = runId;
process.env.REFSTACK_RUN_STARTED_AT = env.REFSTACK_RUN_STARTED_AT;
process.stderr.write(`refstack test run ${runId}\n`);

mkdirSync(runDir(runId), { recursive: true });
const vitestReport = join(runDir(runId), 'vitest.json');
const reporters = ['--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`];
// Its own process group, so that an interrupt reaches vitest's workers too, not only its main process.
const vitest = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...reporters, ...process.argv.slice(2)], {
  env,
  stdio: 'inherit',
  detached: true,
});
const signalGroup = (signal: NodeJS.Signals) => {
  try {
    process.kill(-(vitest.pid ?? 0), signal);
  } catch {
    // the group is already gone
  }
};

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the tests and removing what run ${runId} created…\n`);
    signalGroup(signal);
  });
}

const vitestCode = await new Promise<number>((resolve) => vitest.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1))));
// A worker still alive after vitest exited would keep using containers the sweep below removes.
signalGroup('SIGKILL');

const engine = await engineInfo(3_000);
if (engine.reachable) {
  const removed = await removeRun(runId);
  const total = removed.containers + removed.networks + removed.volumes;
  if (total > 0) process.stderr.write(`removed ${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes left by the run\n`);
}
const file = writeResultsFile({ finished: true, docker: engine.version ?? null, runId });
process.stdout.write(`\n${summaryTable(file)}\n`);
const missed = file.results.filter((r) => !r.pass);
if (missed.length) process.stdout.write(`missed targets: ${missed.map((r) => `${r.id}=${r.value} (target ${r.target})`).join(', ')}\n`);
process.stdout.write(`${testCounts()}${notHeld(file.journal ?? [])}\n`);
process.exit(interrupted ? 130 : vitestCode !== 0 ? vitestCode : missed.length ? 1 : 0);

/** The plain closing line CI reads: "tests: N passed, N failed, N skipped". */
interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  testResults: { name: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

function testCounts(): string {
  if (!existsSync(vitestReport)) return 'tests: 0 passed, 1 failed (vitest wrote no report; see the output above)';
  const report = JSON.parse(readFileSync(vitestReport, 'utf8')) as VitestReport;
  const failed = report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
  return `tests: ${report.numPassedTests} passed, ${failed} failed, ${report.numPendingTests + report.numTodoTests} skipped${failureDigest(report)}`;
}

/** The failed tests and the head of each failure, last in the output: a CI log's tail says why without scrolling. */
function failureDigest(report: VitestReport): string {
  const lines: string[] = [];
  const head = (message: string) => message.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim() && !/^\s+at /.test(l)).slice(0, 12).map((l) => `    ${l.slice(0, 400)}`);
  for (const file of report.testResults) {
    const where = relative(process.cwd(), file.name);
    if (file.message && !file.assertionResults.some((a) => a.status === 'failed')) lines.push(`  ${where}`, ...head(file.message));
    for (const a of file.assertionResults.filter((x) => x.status === 'failed')) lines.push(`  ${where} › ${a.fullName}`, ...head(a.failureMessages.join('\n')));
  }
  return lines.length ? `\nfailed:\n${lines.join('\n')}` : '';
}

/** Experiments and drills that did not hold, each with what failed (their journals are in results.json). */
function notHeld(journals: readonly unknown[]): string {
  const lines: string[] = [];
  for (const j of journals as { name?: string; profile?: string; report?: { ok?: boolean; failures?: string[] } | null }[]) {
    if (j.report?.ok !== false) continue;
    lines.push(`  ${j.name} (${j.profile} profile)`, ...(j.report.failures ?? []).map((f) => `    - ${f.split('\n')[0]!.slice(0, 600)}`));
  }
  return lines.length ? `\nnot held:\n${lines.join('\n')}` : '';
}
