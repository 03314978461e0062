import { step as progressStep } from '../core/progress.ts';
import { judge } from '../core/results/results.ts';
import { formatTarget, type Target } from '../core/results/target.ts';
import { promises, type Profile, type Promises } from '../core/profiles.ts';
import type { StackHandle } from '../core/spec.ts';

/**
 * A scenario is a runbook: named steps (CloudNativePG's `By("…")`), the figures it measures with their
 * targets, and rollbacks that always run (Chaos Toolkit's `always`). The same object runs inside a suite
 * on an ephemeral stack and behind `refstack drill` on the environment.
 */
export interface Scenario {
  /** `kill-primary`: the drill name and the scenario's id. */
  name: string;
  title: string;
  /** The claim in one sentence, with its time limit where it has one (Patroni's "… after 32 seconds"). */
  claim: string;
  /** Services the stack must run (their dependencies come along). */
  services: readonly string[];
  /** Result ids are `<resultPrefix>.<figure>` in suites; drills prefix `env.<name>` instead. */
  resultPrefix: string;
  /** Offered by `refstack drill` against the environment: leaves it as it found it. */
  drill?: boolean;
  run(ctx: ScenarioContext): Promise<void>;
}

export interface ScenarioContext {
  readonly stack: StackHandle;
  readonly profile: Profile;
  /** What the stack's profile promises (recovery times, detection times), derived from its timings. */
  readonly promises: Promises;
  /** A named runbook step: printed as it starts, timed, and in the report whether it passed or not. */
  step<T>(name: string, action: () => Promise<T>): Promise<T>;
  /** An event on the timeline (seconds since the scenario began); `at` is a performance.now() value. */
  mark(what: string, at?: number): number;
  /** A measured figure; with a target (and the plan's bound) it decides whether the scenario held. */
  figure(name: string, value: number, unit: string, judgement?: { target?: Target; bound?: Target; note?: string }): Figure;
  /** An invariant that is not a figure: fails the step with the message when false. */
  check(condition: boolean, message: string): void;
  /** Undo registered by a step: rollbacks run in reverse order whatever happened, before the report. */
  onRollback(what: string, undo: () => Promise<void>): void;
}

export interface Figure {
  id: string;
  value: number;
  unit: string;
  target: Target | null;
  bound: Target | null;
  pass: boolean;
  note?: string;
}

export interface StepRecord {
  name: string;
  /** Seconds since the scenario began. */
  at: number;
  seconds: number;
  ok: boolean;
  error?: string;
}

export interface ScenarioReport {
  name: string;
  title: string;
  claim: string;
  profile: string;
  project: string;
  ok: boolean;
  /** What failed: a step's error, a missed figure, or a rollback that could not undo its fault. */
  failures: string[];
  steps: StepRecord[];
  timeline: Array<{ at: number; what: string }>;
  figures: Figure[];
  rollbacks: Array<{ what: string; ok: boolean; error?: string }>;
  seconds: number;
}

export class ScenarioFailure extends Error {}

/** Runs a scenario on a running stack; never throws for what the scenario finds (the report says it). */
export interface RunOptions {
  /** Result ids `<idPrefix>.<figure>` instead of the scenario's own prefix (drills use `env.<name>`). */
  idPrefix?: string;
  quiet?: boolean;
  /**
   * Aborting (Ctrl-C) starts no further step: the step in flight may finish (at most {@link STEP_DRAIN_MS}),
   * so a rollback never races a destructive step; then the rollbacks run and the report says it was interrupted.
   */
  signal?: AbortSignal;
}

/** How long an interrupted scenario waits for its step in flight before its rollbacks run anyway. */
export const STEP_DRAIN_MS = 60_000;

export async function runScenario(scenario: Scenario, stack: StackHandle, options: RunOptions = {}): Promise<ScenarioReport> {
  const missing = scenario.services.filter((s) => !stack.has(s));
  if (missing.length) throw new Error(`scenario ${scenario.name} needs ${missing.join(', ')}, which stack ${stack.project} does not run`);
  const t0 = performance.now();
  const since = (at: number) => Number(((at - t0) / 1000).toFixed(2));
  const prefix = options.idPrefix ?? scenario.resultPrefix;
  const report: ScenarioReport = {
    name: scenario.name,
    title: scenario.title,
    claim: scenario.claim,
    profile: stack.profile.name,
    project: stack.project,
    ok: false,
    failures: [],
    steps: [],
    timeline: [],
    figures: [],
    rollbacks: [],
    seconds: 0,
  };
  const rollbacks: Array<{ what: string; undo: () => Promise<void> }> = [];
  let inFlight: Promise<unknown> = Promise.resolve();
  const say = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  const ctx: ScenarioContext = {
    stack,
    profile: stack.profile,
    promises: promises(stack.profile),
    async step(name, action) {
      if (options.signal?.aborted) throw new Error(`interrupted: "${name}" not started`);
      const at = performance.now();
      progressStep(`${scenario.name}: ${name}`);
      try {
        const running = action();
        inFlight = running;
        const value = await running;
        report.steps.push({ name, at: since(at), seconds: since(performance.now()) - since(at), ok: true });
        return value;
      } catch (error) {
        report.steps.push({ name, at: since(at), seconds: since(performance.now()) - since(at), ok: false, error: (error as Error).message });
        throw error;
      }
    },
    mark(what, at = performance.now()) {
      report.timeline.push({ at: since(at), what });
      report.timeline.sort((a, b) => a.at - b.at);
      say(`  t+${since(at).toFixed(2).padStart(6)} s  ${what}`);
      return at;
    },
    figure(name, value, unit, judgement = {}) {
      const figure: Figure = {
        id: `${prefix}.${name}`,
        value,
        unit,
        target: judgement.target ?? null,
        bound: judgement.bound ?? null,
        pass: judge(value, judgement.target, judgement.bound),
        ...(judgement.note ? { note: judgement.note } : {}),
      };
      report.figures.push(figure);
      return figure;
    },
    check(condition, message) {
      if (!condition) throw new ScenarioFailure(message);
    },
    onRollback(what, undo) {
      rollbacks.push({ what, undo });
    },
  };
  try {
    const interrupted = new Promise<never>((_, reject) => {
      if (options.signal?.aborted) reject(new Error('interrupted before it began'));
      options.signal?.addEventListener('abort', () => reject(new Error('interrupted: no step started after it, the one in flight let finish, then the rollbacks ran')), { once: true });
    });
    interrupted.catch(() => undefined);
    await Promise.race([scenario.run(ctx), interrupted]);
  } catch (error) {
    report.failures.push((error as Error).message);
    if (options.signal?.aborted) await Promise.race([inFlight.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, STEP_DRAIN_MS).unref())]);
  } finally {
    for (const r of rollbacks.reverse()) {
      try {
        await r.undo();
        report.rollbacks.push({ what: r.what, ok: true });
      } catch (error) {
        report.rollbacks.push({ what: r.what, ok: false, error: (error as Error).message });
        report.failures.push(`rollback "${r.what}" failed: ${(error as Error).message}`);
      }
    }
  }
  for (const f of report.figures.filter((x) => !x.pass)) report.failures.push(`${f.id} = ${f.value} ${f.unit} misses ${describeJudgement(f)}${f.note ? ` (${f.note})` : ''}`);
  report.ok = report.failures.length === 0;
  report.seconds = since(performance.now());
  return report;
}

export function describeJudgement(f: Pick<Figure, 'target' | 'bound'>): string {
  const parts = [f.target ? `the profile's promise ${formatTarget(f.target)}` : '', f.bound ? `the plan's bound ${formatTarget(f.bound)}` : ''].filter(Boolean);
  return parts.join(' and ') || 'nothing (reported)';
}

/** A report as a runbook reader wants it: the claim, the timeline, every figure against its promise and bound. */
export function formatReport(r: ScenarioReport): string {
  const timeline = r.timeline.map((e) => `  t+${e.at.toFixed(2).padStart(7)} s  ${e.what}`);
  const width = Math.max(0, ...r.figures.map((f) => f.id.length));
  const figures = r.figures.map(
    (f) =>
      `  ${f.pass ? 'ok  ' : 'MISS'}  ${f.id.padEnd(width)}  ${f.value} ${f.unit}` +
      `${f.target ? `  promise ${formatTarget(f.target)}` : ''}${f.bound ? `  plan ${formatTarget(f.bound)}` : ''}${f.note ? `  — ${f.note}` : ''}`,
  );
  const steps = r.steps.map((s) => `  ${s.ok ? 'ok  ' : 'FAIL'}  ${s.name} (${s.seconds.toFixed(1)} s)${s.error ? `: ${s.error.split('\n')[0]}` : ''}`);
  const failures = r.failures.length ? `\nfailed:\n${r.failures.map((f) => `  - ${f}`).join('\n')}\n` : '';
  return `\n${r.ok ? 'HELD' : 'NOT HELD'}  ${r.name} — ${r.claim}\n  (${r.profile} profile, stack ${r.project}, ${r.seconds} s)\n\nsteps:\n${steps.join('\n')}\n\ntimeline:\n${timeline.join('\n')}\n\nfigures:\n${figures.join('\n')}\n${failures}`;
}
