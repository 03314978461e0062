import { sleep } from '../core/poll.ts';
import { seconds } from '../core/profiles.ts';
import { runbookUrl } from '../core/monitoring.ts';
import type { Target } from '../core/results/target.ts';
import { meets, formatTarget } from '../core/results/target.ts';
import { scenarioByName } from '../scenarios/index.ts';
import type { Scenario, ScenarioContext } from '../scenarios/scenario.ts';
import { RunningStack } from '../stack/docker/stack.ts';
import { faultVerb, type Injected } from '../stack/faults/index.ts';
import { ROUTES_OPTION, routesOf } from '../../services/toxiproxy/routes.ts';
import { activeAlerts, alertRules, AlertWatcher, SignalWatcher } from './alerts.ts';
import type { Experiment, FaultStep, ProbeCheck, ScenarioStep } from './experiment.ts';
import { clientSeconds, type ExperimentJournal } from './journal.ts';
import { probeByName } from './probes.ts';
import { ROLLBACKS } from './rollbacks.ts';
import { resolveTargets } from './targets.ts';
import { detectionClock, failed, forbidden, writeRecovery, BackgroundClient, type ClientSample } from './traffic.ts';
import { percentile } from './stats.ts';
import { detectionPromise } from './tolerance.ts';

/** Seconds the steady state may take to hold before the method (the stack may still be settling from the previous experiment). */
/** Beyond an alert's deadline the fault is not held longer: the alert has missed it. */
const HOLD_MARGIN_SECONDS = 2;

/** An experiment compiled to a scenario runbook; `journal` is the last run's. */
export interface ChaosScenario extends Scenario {
  readonly experiment: Experiment;
  journal: ExperimentJournal | null;
}

export const resultPrefix = (name: string) => `chaos.${name.replace(/-/g, '_')}`;

/** Every service an experiment touches: the ones it names, its probes', its fault targets' and its scenario's. */
export function servicesOf(e: Experiment): string[] {
  const named = [
    ...e.services,
    ...e.steadyState.flatMap((c) => probeByName(c.probe).services),
    ...e.method.flatMap((m) => (m.kind === 'fault' ? m.targets.map((t) => t.service) : scenarioByName(m.scenario).services)),
  ];
  if (e.alerts.length) named.push('alert-receiver', 'prometheus');
  return [...new Set(named)];
}

/**
 * Compiles an experiment into a Scenario, so that it runs through runScenario (suites, `refstack drill`,
 * `refstack chaos run` alike): steady state holds → method → expected alerts fire (and resolve) within the
 * profile's detection promise → the steady state holds again → rollbacks, always.
 */
export function compileExperiment(e: Experiment): ChaosScenario {
  const compiled: ChaosScenario = {
    name: e.name,
    title: e.title,
    claim: e.claim,
    services: servicesOf(e),
    resultPrefix: resultPrefix(e.name),
    drill: e.drill,
    experiment: e,
    journal: null,
    async run(ctx) {
      if (!(ctx.stack instanceof RunningStack)) throw new Error(`experiment ${e.name} needs a stack started by refstack (faults act on its containers)`);
      const journal = newJournal(e, ctx);
      compiled.journal = journal;
      await runExperiment(e, ctx, ctx.stack, journal);
    },
  };
  return compiled;
}

function newJournal(e: Experiment, ctx: ScenarioContext): ExperimentJournal {
  return {
    name: e.name,
    title: e.title,
    claim: e.claim,
    runbook: e.runbook ? (/^[A-Z]/.test(e.runbook) ? runbookUrl(e.runbook) : e.runbook) : e.alerts[0] ? runbookUrl(e.alerts[0].name) : e.file,
    file: e.file,
    profile: ctx.profile.name,
    project: ctx.stack.project,
    startedAt: new Date().toISOString(),
    probes: [],
    faults: [],
    faultWindow: null,
    expectedAlerts: [],
    alertsSeen: [],
    signals: [],
    recoveredAt: null,
    client: [],
    report: null,
  };
}

async function runExperiment(e: Experiment, ctx: ScenarioContext, stack: RunningStack, journal: ExperimentJournal): Promise<void> {
  const t0 = performance.now();
  const epoch0 = Date.now();
  const since = (at = performance.now()) => Number(((at - t0) / 1000).toFixed(2));
  const sinceUnix = (unixMs: number) => Number(((unixMs - epoch0) / 1000).toFixed(2));
  requireStack(e, stack);
  // A scenario heals inside its own steps and ends later: its end is no undo (alert resolve, write recovery).
  const scenarioMethod = e.method.some((m) => m.kind === 'scenario');
  for (const name of e.rollbacks) ctx.onRollback(ROLLBACKS[name]!.summary, () => ROLLBACKS[name]!.run(stack));

  await ctx.step('the steady state holds before the method (no fault on an unhealthy system)', () => steadyState(e, stack, journal, 'before', e.settleSeconds, since));
  if (e.alerts.length) {
    await ctx.step(`none of the expected alerts is active already (${e.alerts.map((a) => a.name).join(', ')})`, async () => {
      const deadline = performance.now() + e.settleSeconds * 1000;
      for (;;) {
        const active = (await activeAlerts(stack)).filter((a) => e.alerts.some((x) => x.name === a));
        if (!active.length) return;
        if (performance.now() > deadline) throw new Error(`still active after ${e.settleSeconds} s: ${active.join(', ')} (a new notification could not be told from the old one)`);
        await sleep(1_000);
      }
    });
  }

  const watcher = new AlertWatcher(stack, epoch0).start();
  const signals = new SignalWatcher(stack, e.signals).start();
  const client = await new BackgroundClient(t0).start(stack);
  let samples: ClientSample[] = [];
  let faultFrom: number | undefined;
  let faultTo: number | undefined;
  try {
    await sleep(2_000); // a baseline for the plot before the first fault
    for (const [index, step] of e.method.entries()) {
      const label = `method[${index}]`;
      if (step.kind === 'fault') {
        const window = await faultStep(e, ctx, stack, step, label, journal, watcher, since, faultFrom);
        faultFrom ??= window.from;
        faultTo = window.to;
      } else {
        const window = await scenarioStep(e, ctx, step, since);
        faultFrom ??= window.from;
        faultTo = window.to;
      }
    }
    journal.faultWindow = faultFrom !== undefined && faultTo !== undefined ? { from: since(faultFrom), to: since(faultTo) } : null;
    const faultAtUnix = epoch0 + (faultFrom! - t0);
    const undoneAtUnix = epoch0 + (faultTo! - t0);
    ctx.figure('fault_seconds', round(since(faultTo) - since(faultFrom)), 's', judged(e, 'fault_seconds', ctx, 'first injection → last undo'));

    for (const signal of e.signals) {
      const deadline = detectionPromise(ctx.profile, 'high');
      const seenAt = await signals.waitSeen(signal.name, faultAtUnix + deadline * 1000);
      const after = seenAt === undefined ? null : round(Math.max(0, seenAt - faultAtUnix) / 1000);
      journal.signals.push({ name: signal.name, query: signal.query, seenAfter: after });
      if (seenAt !== undefined) ctx.mark(`Prometheus shows ${signal.name}`, t0 + (seenAt - epoch0));
      ctx.figure(`signal_${signal.name}_seconds`, after ?? Number.POSITIVE_INFINITY, 's', { target: { op: '<=', value: deadline }, note: seenAt === undefined ? `\`${signal.query}\` returned nothing within ${deadline} s` : `fault → \`${signal.query}\` returns a series (no alert rule covers this yet)` });
    }
    const rules = alertRules(stack.plan.specs, ctx.profile);
    const faultLasted = (faultTo! - faultFrom!) / 1000;
    for (const alert of e.alerts) {
      const deadline = detectionPromise(ctx.profile, alert.severity);
      const visibleAtLeast = (rules.get(alert.name)?.forSeconds ?? 0) + 2 * seconds(ctx.profile.monitoring.scrapeInterval);
      if (faultLasted < visibleAtLeast) {
        // No rule can fire on a condition shorter than its `for` plus two scrapes: with this profile's timings the fault is too short to page.
        ctx.mark(`${alert.name} not expected: the fault lasted ${faultLasted.toFixed(1)} s, less than its for + two scrapes (${visibleAtLeast} s) in the ${ctx.profile.name} profile`);
        journal.expectedAlerts.push({ name: alert.name, severity: alert.severity, deadlineSeconds: deadline, firedAfter: null, resolvedAfter: null, skipped: `the fault lasted ${faultLasted.toFixed(1)} s < for + two scrapes (${visibleAtLeast} s)` });
        continue;
      }
      const entry: ExperimentJournal['expectedAlerts'][number] = { name: alert.name, severity: alert.severity, deadlineSeconds: deadline, firedAfter: null, resolvedAfter: null };
      journal.expectedAlerts.push(entry);
      const clock = detectionClock(alert.from, client.samples, faultFrom! - t0);
      const clockAtUnix = clock ? epoch0 + clock.t : faultAtUnix;
      const fired = await waitSighting(watcher, alert.name, 'firing', faultAtUnix, clockAtUnix + (deadline + HOLD_MARGIN_SECONDS) * 1000);
      entry.firedAfter = fired ? Math.max(0, sinceUnix(fired.at) - sinceUnix(clockAtUnix)) : null;
      if (fired) ctx.mark(`${alert.name} notified (${fired.receiver}, ${alert.severity})`, t0 + (fired.at - epoch0));
      const from = clock ? `first failed client request (${clock.status === 0 ? 'no answer' : clock.status}, ${round((clock.t - (faultFrom! - t0)) / 1000)} s after the fault)` : 'fault';
      ctx.figure(`alert_${alert.name}_detection_seconds`, round(entry.firedAfter ?? Number.POSITIVE_INFINITY), 's', {
        target: { op: '<=', value: deadline },
        note: fired
          ? `${from} → ${fired.receiver} notification (${alert.severity}: the ${ctx.profile.name} profile's detection promise)${alert.from === 'first-failure' && !clock ? '; no client request failed, so the clock started at the fault' : ''}`
          : `no ${alert.name} notification within ${deadline + HOLD_MARGIN_SECONDS} s of the ${from}`,
      });
      if (!alert.resolve) continue;
      // A scenario heals inside its own steps (a failover, a rejoin) and ends later: its alert may resolve
      // before that end, which is no undo. Any resolve after the firing counts there (0 s when before the end).
      const resolvedFrom = scenarioMethod ? (fired?.at ?? undoneAtUnix) : undoneAtUnix;
      const resolved = await waitSighting(watcher, alert.name, 'resolved', resolvedFrom, Math.max(undoneAtUnix, fired?.at ?? 0) + (deadline + e.recoverySeconds) * 1000);
      entry.resolvedAfter = resolved ? Math.max(0, sinceUnix(resolved.at) - sinceUnix(undoneAtUnix)) : null;
      if (resolved) ctx.mark(`${alert.name} resolved`, t0 + (resolved.at - epoch0));
      ctx.figure(`alert_${alert.name}_resolve_seconds`, round(entry.resolvedAfter ?? Number.POSITIVE_INFINITY), 's', {
        target: { op: '<=', value: deadline + e.recoverySeconds },
        note: resolved
          ? resolved.at < undoneAtUnix
            ? `resolved ${round((undoneAtUnix - resolved.at) / 1000)} s before the scenario ended (it healed inside its steps)`
            : `${scenarioMethod ? 'scenario ended' : 'fault undone'} → resolved notification (detection promise + the recovery allowance)`
          : 'no resolved notification',
      });
    }

    const recoveredAt = await ctx.step('the steady state holds again after the method', () => steadyState(e, stack, journal, 'after', e.recoverySeconds, since));
    journal.recoveredAt = since(recoveredAt);
    ctx.mark('steady state holds again (recovery point)', recoveredAt);
    ctx.figure('recovery_seconds', round(since(recoveredAt) - since(faultTo)), 's', judged(e, 'recovery_seconds', ctx, 'last undo → every steady-state probe holds again', { op: '<=', value: e.recoverySeconds }));
  } finally {
    signals.stop();
    samples = await client.stop();
    journal.client = clientSeconds(samples);
    journal.alertsSeen = (await watcher.stop()).map((s) => ({ name: s.name, receiver: s.receiver, status: s.status, at: sinceUnix(s.at) }));
    // Write recovery counts from the last undo of a fault; a scenario's end is not an undo (it measures its own recovery).
    const undoneMs = faultTo !== undefined && !scenarioMethod ? faultTo - t0 : undefined;
    clientFigures(e, ctx, samples, faultFrom === undefined ? undefined : [faultFrom - t0, (faultTo ?? performance.now()) - t0], undoneMs);
  }
}

/** The experiment's own tolerance for a figure (figures: in its file), else `fallback`. */
function judged(e: Experiment, figure: string, ctx: ScenarioContext, note: string, fallback?: Target): { target?: Target; note: string } {
  const tolerance = e.figures[figure];
  const target = tolerance ? tolerance.resolve(ctx.profile) : fallback;
  return { ...(target ? { target } : {}), note };
}

function requireStack(e: Experiment, stack: RunningStack): void {
  const problems: string[] = [];
  const wanted: Record<string, string> = { ...e.options };
  for (const step of e.method) if (step.kind === 'fault') Object.assign(wanted, faultVerb(step.fault).needsOptions ?? {});
  for (const [key, value] of Object.entries(wanted)) {
    if (key === ROUTES_OPTION) continue;
    if (stack.option(key) !== value) problems.push(`--set ${key}=${value}`);
  }
  const routes = routesOf(stack.option(ROUTES_OPTION));
  for (const step of e.method) {
    if (step.kind === 'fault' && typeof step.params.route === 'string' && !routes.includes(step.params.route as never)) problems.push(`--set ${ROUTES_OPTION}=${[...routes, step.params.route].join(',')}`);
  }
  if (problems.length) throw new Error(`experiment ${e.name} needs the stack started with ${problems.join(' ')} (stack ${stack.project} was not)`);
}

/** Reads probes at once; each reading says whether it met its tolerance (a condition probe: whether it holds). */
async function readProbes(checks: readonly ProbeCheck[], stack: RunningStack, phase: 'before' | 'during' | 'after', since: (at?: number) => number) {
  return Promise.all(
    checks.map(async (check) => {
      const probe = probeByName(check.probe);
      const at = performance.now();
      const reading = await probe.read(stack).catch((error: Error) => ({ value: Number.NaN, unit: '?', detail: `probe failed: ${error.message.split('\n')[0]}` }));
      const target = check.tolerance?.resolve(stack.profile);
      const ok = target ? meets(reading.value, target) : reading.value === 1;
      return { phase, at: since(at), probe: probe.name, value: reading.value, unit: reading.unit, tolerance: target ? formatTarget(target) : null, ok, detail: reading.detail, target: target ?? (probe.tolerance === 'none' ? ({ op: '==', value: 1 } as Target) : undefined) };
    }),
  );
}

/** Polls every probe until all hold (bounded); returns the moment they did, or fails naming each probe that did not. */
async function steadyState(e: Experiment, stack: RunningStack, journal: ExperimentJournal, phase: 'before' | 'after', withinSeconds: number, since: (at?: number) => number): Promise<number> {
  const deadline = performance.now() + withinSeconds * 1000;
  const lastMiss = new Map<string, Awaited<ReturnType<typeof readProbes>>[number]>();
  for (;;) {
    const readings = await readProbes(e.steadyState, stack, phase, since);
    const missed = readings.filter((r) => !r.ok);
    if (!missed.length || performance.now() > deadline) {
      // What the wait waited out: each probe's last miss before the final reading, so a slow settle is explained.
      const waitedOut = [...lastMiss.values()].filter((m) => !missed.some((r) => r.probe === m.probe));
      journal.probes.push(...[...waitedOut, ...readings].map(({ target: _target, ...r }) => r));
      if (missed.length) {
        throw new Error(`steady state does not hold ${phase === 'before' ? 'before the method (no fault injected)' : `${withinSeconds} s after the method`}: ${missed.map((r) => `${r.probe} = ${r.value} ${r.unit}${r.tolerance ? ` misses ${r.tolerance}` : ''} (${r.detail})`).join('; ')}`);
      }
      return performance.now();
    }
    for (const m of missed) lastMiss.set(m.probe, m);
    await sleep(1_000);
  }
}

async function faultStep(
  e: Experiment,
  ctx: ScenarioContext,
  stack: RunningStack,
  step: FaultStep,
  label: string,
  journal: ExperimentJournal,
  watcher: AlertWatcher,
  since: (at?: number) => number,
  firstFault: number | undefined,
): Promise<{ from: number; to: number }> {
  const verb = faultVerb(step.fault);
  const targets = (await Promise.all(step.targets.map((t) => resolveTargets(stack, t)))).flat();
  const names = targets.map((t) => t.name);
  let injected: Injected | undefined;
  let undone = false;
  const undo = async () => {
    if (!injected || undone) return;
    undone = true;
    await injected.undo();
  };
  ctx.onRollback(`${step.fault} on ${names.join(', ')} undone`, undo);
  const entry: ExperimentJournal['faults'][number] = { step: `${label} ${step.fault}`, targets: names, detail: '', injectedAt: 0, undoneAt: null };
  journal.faults.push(entry);
  const from = await ctx.step(`${step.fault} on ${names.join(', ')} for ${step.duration} s`, async () => {
    const at = performance.now();
    injected = await verb.inject(stack, targets, step.params, step.duration);
    entry.detail = injected.detail;
    entry.injectedAt = since(at);
    ctx.mark(`inject ${step.fault}: ${injected.detail}`, at);
    return at;
  });
  await ctx.step(`hold ${step.fault} (${step.duration} s, longer while an expected alert has not fired)`, async () => {
    const faultAt = firstFault ?? from;
    const holdUntil = Math.min(from + verb.maxSeconds * 1000, Math.max(from + step.duration * 1000, ...e.alerts.map((a) => faultAt + (detectionPromise(ctx.profile, a.severity) + HOLD_MARGIN_SECONDS) * 1000)));
    while (performance.now() < holdUntil) {
      if (performance.now() >= from + step.duration * 1000 && e.alerts.every((a) => watcher.first(a.name, 'firing', Date.now() - (performance.now() - faultAt)))) break;
      await sleep(250);
    }
  });
  if (e.during.length) {
    await ctx.step(`while ${step.fault} holds: ${e.during.map((c) => c.probe).join(', ')}`, async () => {
      for (const reading of await readProbes(e.during, stack, 'during', since)) {
        const { target: _target, ...entry } = reading;
        journal.probes.push(entry);
        ctx.figure(`during_${reading.probe.replace(/-/g, '_')}`, reading.value, reading.unit, { ...(reading.target ? { target: reading.target } : {}), note: `${step.fault} in place: ${reading.detail}` });
      }
    });
  }
  const to = await ctx.step(`undo ${step.fault} (${verb.undo})`, async () => {
    const at = performance.now();
    await undo();
    entry.undoneAt = since(at);
    ctx.mark(`undo ${step.fault} on ${names.join(', ')}`, at);
    return at;
  });
  for (const f of (await injected?.figures?.()) ?? []) ctx.figure(f.name, f.value, f.unit, judged(e, f.name, ctx, f.note ?? ''));
  return { from, to };
}

/** A scenario runbook as the method: its figures keep their names under the experiment's prefix, judged by the experiment's tolerances where it gives one. */
async function scenarioStep(e: Experiment, ctx: ScenarioContext, step: ScenarioStep, _since: (at?: number) => number): Promise<{ from: number; to: number }> {
  const scenario = scenarioByName(step.scenario);
  let faultAt: number | undefined;
  const inner: ScenarioContext = {
    ...ctx,
    mark(what, at) {
      const t = ctx.mark(what, at);
      faultAt ??= t;
      return t;
    },
    figure(name, value, unit, judgement = {}) {
      const tolerance = e.figures[name];
      return ctx.figure(name, value, unit, tolerance ? { ...judgement, target: tolerance.resolve(ctx.profile) } : judgement);
    },
  };
  const started = performance.now();
  await scenario.run(inner);
  return { from: faultAt ?? started, to: performance.now() };
}

async function waitSighting(watcher: AlertWatcher, name: string, status: 'firing' | 'resolved', fromUnixMs: number, untilUnixMs: number) {
  for (;;) {
    const found = watcher.first(name, status, fromUnixMs);
    if (found || Date.now() > untilUnixMs) return found;
    await sleep(250);
  }
}

function clientFigures(e: Experiment, ctx: ScenarioContext, samples: ClientSample[], window: [number, number] | undefined, undoneMs: number | undefined): void {
  if (!samples.length) return;
  const reads = samples.filter((s) => s.kind === 'read');
  const writes = samples.filter((s) => s.kind === 'write');
  const inWindow = window ? samples.filter((s) => s.t >= window[0] && s.t <= window[1]) : samples;
  const why = (list: ClientSample[]) => {
    const counts = new Map<number, number>();
    for (const s of list.filter(failed)) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
    return [...counts].map(([status, n]) => `${n}× ${status === 0 ? 'no answer' : status}`).join(', ');
  };
  ctx.figure('client_requests', samples.length, 'requests', judged(e, 'client_requests', ctx, `${reads.length} reads, ${writes.length} writes through nginx`));
  ctx.figure('client_failed_reads', reads.filter(failed).length, 'requests', judged(e, 'client_failed_reads', ctx, why(reads) || 'none failed'));
  ctx.figure('client_failed_writes', writes.filter(failed).length, 'requests', judged(e, 'client_failed_writes', ctx, why(writes) || 'none failed'));
  const bad = samples.filter(forbidden);
  ctx.figure('client_server_errors', bad.length, 'requests', judged(e, 'client_server_errors', ctx, bad.length ? `${bad.map((s) => `${s.kind} ${s.status === 0 ? 'no answer' : s.status} at ${round(s.t / 1000)} s`).slice(0, 5).join(', ')}` : 'every failure was a 503 (a safe retry) or none'));
  if (undoneMs !== undefined && writes.length) {
    const recovery = writeRecovery(writes, undoneMs);
    ctx.figure('client_write_recovery_seconds', round(recovery.seconds), 's', judged(e, 'client_write_recovery_seconds', ctx, recovery.note));
  }
  const rate = inWindow.length ? inWindow.filter(failed).length / inWindow.length : 0;
  ctx.figure('client_error_rate', round(rate, 4), 'ratio', judged(e, 'client_error_rate', ctx, `${inWindow.filter(failed).length} of ${inWindow.length} requests in the fault window`));
  const ms = inWindow.filter((s) => !failed(s)).map((s) => s.ms);
  if (ms.length) {
    ctx.figure('client_p95_ms', round(percentile(ms, 95), 1), 'ms', judged(e, 'client_p95_ms', ctx, `${ms.length} answered requests in the fault window`));
    ctx.figure('client_p99_ms', round(percentile(ms, 99), 1), 'ms', judged(e, 'client_p99_ms', ctx, `${ms.length} answered requests in the fault window`));
  }
}

const round = (n: number, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
