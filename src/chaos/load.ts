import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../core/paths.ts';
import type { ServiceSpec } from '../core/spec.ts';
import { SCENARIOS } from '../scenarios/index.ts';
import { STACK } from '../stack/definition.ts';
import { FAULT_VERBS, declaredVerbs } from '../stack/faults/index.ts';
import { resolveParams } from '../stack/faults/params.ts';
import { alertRules } from './alerts.ts';
import { DETECTION_CLOCKS, ENGINE_FIGURES, type DetectionClock, type Signal, type AlertExpectation, type Experiment, type MethodStep, type ProbeCheck, type TargetSelector } from './experiment.ts';
import { PROBES } from './probes.ts';
import { ROLLBACKS } from './rollbacks.ts';
import { ROLES } from './targets.ts';
import { parseTolerance, type Tolerance } from './tolerance.ts';

export const EXPERIMENTS_DIR = join(ROOT, 'chaos', 'experiments');

/** A file that is not a valid experiment: every problem found, each with where it is. Nothing runs until all are fixed. */
export class ExperimentError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid experiment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const ALERT_KEYS = ['name', 'resolve', 'from'];
const TOP_KEYS = ['title', 'claim', 'runbook', 'services', 'options', 'steady-state', 'during', 'method', 'signals', 'alerts', 'figures', 'recovery', 'settle', 'rollbacks', 'drill', 'every-run'];
const MAX_FAULT_SECONDS = 600;

/** Reads and validates every experiment in chaos/experiments/ (sorted by name); throws one error listing every bad file. */
export function loadExperiments(dir = EXPERIMENTS_DIR, stack: readonly ServiceSpec[] = STACK): Experiment[] {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const experiments: Experiment[] = [];
  const errors: ExperimentError[] = [];
  for (const f of files) {
    try {
      experiments.push(parseExperiment(readFileSync(join(dir, f), 'utf8'), join(dir, f), stack));
    } catch (error) {
      if (error instanceof ExperimentError) errors.push(error);
      else throw error;
    }
  }
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
  return experiments;
}

/** One experiment from its YAML text; `file` names it in errors and gives its name (the file name without .yaml). */
export function parseExperiment(text: string, file: string, stack: readonly ServiceSpec[] = STACK): Experiment {
  const where = relative(ROOT, file) || file;
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new ExperimentError(where, [`not YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (!isRecord(doc)) throw new ExperimentError(where, ['the file must be a mapping (title:, claim:, steady-state:, method:, …)']);
  const v = new Validator(problems, stack);
  for (const key of Object.keys(doc)) if (!TOP_KEYS.includes(key)) problems.push(`unknown key "${key}" (keys: ${TOP_KEYS.join(', ')})`);
  const name = basename(file).replace(/\.ya?ml$/, '');
  if (!/^[a-z][a-z0-9-]*$/.test(name)) problems.push(`file name "${name}" must be lower-case words joined by "-" (it is the experiment's name)`);
  const services = v.list(doc.services ?? [], 'services').map((s, i) => v.service(s, `services[${i}]`));
  const method = v.list(doc.method, 'method').map((step, i) => v.method(step, `method[${i}]`));
  if (Array.isArray(doc.method) && !doc.method.length) problems.push('method: at least one step (a fault or a scenario)');
  const experiment: Experiment = {
    name,
    file: where,
    title: v.text(doc.title, 'title'),
    claim: v.text(doc.claim, 'claim'),
    runbook: doc.runbook === undefined ? '' : v.text(doc.runbook, 'runbook'),
    services: services.filter(Boolean) as string[],
    options: v.options(doc.options),
    steadyState: v.list(doc['steady-state'], 'steady-state').map((c, i) => v.probe(c, `steady-state[${i}]`)),
    during: v.list(doc.during ?? [], 'during').map((c, i) => v.probe(c, `during[${i}]`)),
    method,
    signals: v.list(doc.signals ?? [], 'signals').map((x, i) => v.signal(x, `signals[${i}]`)),
    alerts: v.list(doc.alerts ?? [], 'alerts').map((a, i) => v.alert(a, `alerts[${i}]`)),
    figures: v.figures(doc.figures, method.some((m) => m.kind === 'scenario'), method.flatMap((m) => (m.kind === 'fault' ? (FAULT_VERBS.find((f) => f.verb === m.fault)?.figures ?? []) : []))),
    recoverySeconds: v.seconds(doc.recovery ?? 120, 'recovery', 1, 900),
    settleSeconds: v.seconds(doc.settle ?? 180, 'settle', 1, 900),
    rollbacks: v.list(doc.rollbacks ?? [], 'rollbacks').map((r, i) => v.rollback(r, `rollbacks[${i}]`)),
    drill: doc.drill === undefined ? false : v.bool(doc.drill, 'drill'),
    everyRun: doc['every-run'] === undefined ? false : v.bool(doc['every-run'], 'every-run'),
  };
  if (Array.isArray(doc['steady-state']) && !doc['steady-state'].length) problems.push('steady-state: at least one probe (no fault is injected into a system whose health is not checked)');
  if (problems.length) throw new ExperimentError(where, problems);
  return experiment;
}

class Validator {
  private readonly rules: ReturnType<typeof alertRules>;

  constructor(
    private readonly problems: string[],
    private readonly stack: readonly ServiceSpec[],
  ) {
    this.rules = alertRules(stack);
  }

  text(value: unknown, at: string): string {
    if (typeof value !== 'string' || !value.trim()) {
      this.problems.push(`${at}: missing (a sentence)`);
      return '';
    }
    return value.trim();
  }

  bool(value: unknown, at: string): boolean {
    if (typeof value !== 'boolean') this.problems.push(`${at}: true or false, not ${JSON.stringify(value)}`);
    return value === true;
  }

  seconds(value: unknown, at: string, min: number, max: number): number {
    if (typeof value !== 'number' || !(value >= min && value <= max)) {
      this.problems.push(`${at}: seconds between ${min} and ${max}, not ${JSON.stringify(value)}`);
      return min;
    }
    return value;
  }

  list(value: unknown, at: string): unknown[] {
    if (value === undefined) {
      this.problems.push(`${at}: missing (a list)`);
      return [];
    }
    if (!Array.isArray(value)) {
      this.problems.push(`${at}: must be a list`);
      return [];
    }
    return value;
  }

  service(value: unknown, at: string): string | undefined {
    const names = this.stack.map((s) => s.name);
    if (typeof value !== 'string' || !names.includes(value)) {
      this.problems.push(`${at}: unknown service ${JSON.stringify(value)} (the stack has: ${names.join(', ')})`);
      return undefined;
    }
    return value;
  }

  options(value: unknown): Record<string, string> {
    if (value === undefined) return {};
    if (!isRecord(value)) {
      this.problems.push('options: a mapping of stack option → value');
      return {};
    }
    const known = new Set(this.stack.flatMap((s) => Object.keys(s.options ?? {})));
    for (const key of Object.keys(value)) if (!known.has(key)) this.problems.push(`options.${key}: no service reads this stack option (options: ${[...known].join(', ')})`);
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, String(x)]));
  }

  tolerance(value: unknown, at: string): Tolerance | undefined {
    if (value === undefined || value === null || value === '') {
      this.problems.push(`${at}: missing tolerance (e.g. "latency.apiP95Ms", "<= promise.failoverRtoSeconds", "== 0")`);
      return undefined;
    }
    try {
      return parseTolerance(String(value));
    } catch (error) {
      this.problems.push(`${at}: ${(error as Error).message}`);
      return undefined;
    }
  }

  probe(value: unknown, at: string): ProbeCheck {
    if (!isRecord(value) || typeof value.probe !== 'string') {
      this.problems.push(`${at}: { probe: <name>, tolerance: <tolerance> } (probes: ${PROBES.map((p) => p.name).join(', ')})`);
      return { probe: '?' };
    }
    const probe = PROBES.find((p) => p.name === value.probe);
    if (!probe) {
      this.problems.push(`${at}.probe: unknown probe "${value.probe}" (probes: ${PROBES.map((p) => p.name).join(', ')})`);
      return { probe: value.probe };
    }
    if (probe.tolerance === 'none') {
      if (value.tolerance !== undefined) this.problems.push(`${at}: ${probe.name} holds or not; it takes no tolerance`);
      return { probe: probe.name };
    }
    const tolerance = this.tolerance(value.tolerance, `${at} (${probe.name})`);
    return tolerance ? { probe: probe.name, tolerance } : { probe: probe.name };
  }

  method(value: unknown, at: string): MethodStep {
    if (isRecord(value) && typeof value.scenario === 'string') {
      if (!SCENARIOS.some((s) => s.name === value.scenario)) this.problems.push(`${at}.scenario: unknown scenario "${value.scenario}" (scenarios: ${SCENARIOS.map((s) => s.name).join(', ')})`);
      return { kind: 'scenario', scenario: value.scenario };
    }
    if (!isRecord(value) || typeof value.fault !== 'string') {
      this.problems.push(`${at}: { fault: <verb>, targets: [...], duration: <seconds>, params: {...} } or { scenario: <name> }`);
      return { kind: 'scenario', scenario: '?' };
    }
    const verb = FAULT_VERBS.find((f) => f.verb === value.fault);
    if (!verb) this.problems.push(`${at}.fault: unknown fault "${value.fault}" (the fault library has: ${FAULT_VERBS.map((f) => f.verb).join(', ')})`);
    const targets = this.list(value.targets, `${at}.targets`).map((t, i) => this.target(t, `${at}.targets[${i}]`, value.fault as string));
    if (Array.isArray(value.targets) && !value.targets.length) this.problems.push(`${at}.targets: at least one`);
    const duration = this.seconds(value.duration, `${at}.duration`, 0, Math.min(MAX_FAULT_SECONDS, verb?.maxSeconds ?? MAX_FAULT_SECONDS));
    let params: Record<string, number | string> = {};
    const given = value.params === undefined ? {} : value.params;
    if (!isRecord(given)) this.problems.push(`${at}.params: a mapping`);
    else if (verb) {
      const resolved = resolveParams(verb, given);
      params = { ...resolved.params };
      this.problems.push(...resolved.problems.map((p) => `${at}.params.${p}`));
    }
    return { kind: 'fault', fault: value.fault, targets, params, duration };
  }

  target(value: unknown, at: string, fault: string): TargetSelector {
    if (!isRecord(value)) {
      this.problems.push(`${at}: { service: <name>, role?: <role>, instance?: <name>, count?: <n|all> }`);
      return { service: '?' };
    }
    const service = this.service(value.service, `${at}.service`);
    const spec = this.stack.find((s) => s.name === service);
    if (spec) {
      const verbs = declaredVerbs(spec).map((f) => f.verb);
      const verb = FAULT_VERBS.find((f) => f.verb === fault);
      if (verb && (!verbs.includes(fault) || (verb.services && !verb.services.includes(spec.name)))) {
        this.problems.push(`${at}: ${spec.name} has no fault "${fault}" (its verbs: ${verbs.join(', ')})`);
      }
      if (value.role !== undefined && !(ROLES[spec.name] ?? []).includes(String(value.role))) {
        this.problems.push(`${at}.role: ${spec.name} has ${ROLES[spec.name] ? `the roles ${ROLES[spec.name]!.join(', ')}` : 'no roles'}, not ${JSON.stringify(value.role)}`);
      }
    }
    if (value.count !== undefined && value.count !== 'all' && !(Number.isInteger(value.count) && (value.count as number) > 0)) this.problems.push(`${at}.count: a positive whole number or "all"`);
    return {
      service: String(value.service),
      ...(value.role !== undefined ? { role: String(value.role) } : {}),
      ...(value.instance !== undefined ? { instance: String(value.instance) } : {}),
      ...(value.count !== undefined ? { count: value.count as number | 'all' } : {}),
    };
  }

  alert(value: unknown, at: string): AlertExpectation {
    const name = isRecord(value) ? value.name : value;
    const rule = typeof name === 'string' ? this.rules.get(name) : undefined;
    if (!rule) {
      this.problems.push(`${at}: unknown alert ${JSON.stringify(name)} (the stack's alert rules: ${[...this.rules.keys()].join(', ')})`);
      return { name: String(name), severity: 'high', resolve: false, from: 'fault' };
    }
    if (isRecord(value)) {
      for (const key of Object.keys(value)) if (!ALERT_KEYS.includes(key)) this.problems.push(`${at}.${key}: not a key of an expected alert (keys: ${ALERT_KEYS.join(', ')})`);
    }
    const resolve = isRecord(value) && value.resolve !== undefined ? this.bool(value.resolve, `${at}.resolve`) : true;
    const from = isRecord(value) && value.from !== undefined ? value.from : 'fault';
    if (!DETECTION_CLOCKS.includes(from as never)) this.problems.push(`${at}.from: ${DETECTION_CLOCKS.map((c) => `"${c}"`).join(' or ')}, not ${JSON.stringify(from)}`);
    return { name: name as string, severity: rule.severity, resolve, from: from as DetectionClock };
  }

  figures(value: unknown, scenarioMethod: boolean, faultFigures: readonly string[]): Record<string, Tolerance> {
    if (value === undefined) return {};
    if (!isRecord(value)) {
      this.problems.push('figures: a mapping of figure → tolerance');
      return {};
    }
    const out: Record<string, Tolerance> = {};
    for (const [key, raw] of Object.entries(value)) {
      if (!(key in ENGINE_FIGURES) && !faultFigures.includes(key) && !scenarioMethod) {
        this.problems.push(`figures.${key}: not a figure this experiment measures (figures: ${[...Object.keys(ENGINE_FIGURES), ...faultFigures].join(', ')}; a scenario method adds its own)`);
      }
      const tolerance = this.tolerance(raw, `figures.${key}`);
      if (tolerance) out[key] = tolerance;
    }
    return out;
  }

  signal(value: unknown, at: string): Signal {
    if (!isRecord(value) || typeof value.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(value.name) || typeof value.query !== 'string' || !value.query.trim()) {
      this.problems.push(`${at}: { name: <snake_case>, query: <PromQL that returns a series while the fault is seen> }`);
      return { name: '?', query: '' };
    }
    return { name: value.name, query: value.query };
  }

  rollback(value: unknown, at: string): string {
    if (typeof value !== 'string' || !(value in ROLLBACKS)) this.problems.push(`${at}: unknown rollback ${JSON.stringify(value)} (rollbacks: ${Object.keys(ROLLBACKS).join(', ')})`);
    return String(value);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
