import { mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentRunId } from '../core/docker/labels.ts';
import { REPORTS_DIR } from '../core/paths.ts';
import { recordJournal, recordResult, runDir } from '../core/results/results.ts';
import { runScenario, type ScenarioReport } from '../scenarios/scenario.ts';
import type { RunningStack } from '../stack/docker/stack.ts';
import { compileExperiment } from './compile.ts';
import type { Experiment } from './experiment.ts';
import type { ExperimentJournal } from './journal.ts';
import { renderGameDay } from './report.ts';

export interface ChaosRun {
  runId: string;
  held: number;
  run: number;
  /** Experiments held / run (LitmusChaos' resilience score, each experiment weighing the same). */
  score: number;
  journals: ExperimentJournal[];
  reportPath: string;
  seconds: number;
}

export interface ChaosRunOptions {
  signal?: AbortSignal;
  quiet?: boolean;
  /** The result id of the run's score: `chaos.resilience_score` (chaos experiments), `drill.resilience_score` (runbook drills). */
  scoreId?: string;
  /** Called after each experiment (the CLI prints its report). */
  onReport?(report: ScenarioReport, journal: ExperimentJournal): void;
}

/**
 * Runs experiments one after another on a running stack: each compiled to a scenario and run through
 * runScenario (rollbacks always), its figures recorded as `chaos.<experiment>.<figure>` and its journal
 * appended to the results file; then the score (`chaos.resilience_score` unless options.scoreId) and the game-day report
 * (reports/<run>/chaos-report.html, copied to reports/latest/).
 */
export async function runExperiments(stack: RunningStack, experiments: readonly Experiment[], options: ChaosRunOptions = {}): Promise<ChaosRun> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const journals: ExperimentJournal[] = [];
  for (const experiment of experiments) {
    if (options.signal?.aborted) break;
    const compiled = compileExperiment(experiment);
    const report = await runScenario(compiled, stack, { ...(options.signal ? { signal: options.signal } : {}), ...(options.quiet ? { quiet: true } : {}) });
    const journal: ExperimentJournal = { ...(compiled.journal ?? emptyJournal(experiment, stack)), report };
    for (const f of report.figures) {
      recordResult({ id: f.id, value: f.value, unit: f.unit, ...(f.target ? { target: f.target } : {}), ...(f.bound ? { bound: f.bound } : {}), ...(f.note ? { note: f.note } : {}), suite: experiment.file });
    }
    recordJournal(journal);
    journals.push(journal);
    options.onReport?.(report, journal);
  }
  const held = journals.filter((j) => j.report?.ok).length;
  const score = journals.length ? held / journals.length : 0;
  recordResult({ id: options.scoreId ?? 'chaos.resilience_score', value: Number(score.toFixed(3)), unit: 'ratio', target: { op: '==', value: 1 }, suite: 'chaos/experiments', note: `${held} of ${journals.length} experiments held (${stack.profile.name} profile)` });
  const seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  const reportPath = writeGameDay({ runId: currentRunId(), profile: stack.profile.name, project: stack.project, startedAt, seconds, journals });
  return { runId: currentRunId(), held, run: journals.length, score, journals, reportPath, seconds };
}

export function writeGameDay(day: Parameters<typeof renderGameDay>[0]): string {
  const dir = runDir(day.runId);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'chaos-report.html');
  writeFileSync(path, renderGameDay(day));
  mkdirSync(join(REPORTS_DIR, 'latest'), { recursive: true });
  copyFileSync(path, join(REPORTS_DIR, 'latest', 'chaos-report.html'));
  return path;
}

function emptyJournal(e: Experiment, stack: RunningStack): ExperimentJournal {
  return { name: e.name, title: e.title, claim: e.claim, runbook: e.runbook, file: e.file, profile: stack.profile.name, project: stack.project, startedAt: new Date().toISOString(), probes: [], faults: [], faultWindow: null, expectedAlerts: [], alertsSeen: [], signals: [], recoveredAt: null, client: [], report: null };
}
