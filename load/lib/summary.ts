import type { ResultRecord } from '../../src/core/results/record.ts';
import { formatTarget, meets, type Target } from '../../src/core/results/target.ts';
import { targets } from '../../src/core/targets.ts';
import type { Plateau } from './profiles.ts';

/** The parts of k6's handleSummary data this module reads. */
export interface K6SummaryData {
  metrics: Record<string, { type?: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> } | undefined>;
  state?: { testRunDurationMs?: number };
}

/** A record of reports/<run>/results.json; type-only import, so the k6 bundle carries no Node code. */
export type SummaryRecord = ResultRecord;

export interface SummaryFile {
  schema: 1;
  source: 'k6';
  script: string;
  baseUrl: string | null;
  finishedAt: string;
  thresholdsOk: boolean;
  results: SummaryRecord[];
}

export interface SummaryContext {
  script: string;
  /** The arrival rate the script asked for (the peak for shaped scripts). */
  targetRps: number;
  baseUrl?: string;
  /** Stress: the held plateaus, whose sub-metrics are tagged `stage:<tag>`. */
  plateaus?: readonly Plateau[];
  /** Stress: the rate the knee must reach. */
  kneeTarget?: Target;
  /** Smoke: checks must all pass. */
  checksTarget?: Target;
  /** Fixed for tests; defaults to now. */
  at?: string;
}

const value = (data: K6SummaryData, metric: string, stat: string): number => data.metrics[metric]?.values[stat] ?? Number.NaN;

/** Failed requests plus dropped iterations (arrivals k6 could not send), over everything due. */
export function errorRate(data: K6SummaryData, selector = ''): number {
  const failed = value(data, `http_req_failed${selector}`, 'passes');
  const requests = value(data, `http_reqs${selector}`, 'count');
  const dropped = selector ? 0 : (data.metrics.dropped_iterations?.values.count ?? 0);
  const sent = Number.isFinite(requests) ? requests : value(data, `http_req_failed${selector}`, 'passes') + value(data, `http_req_failed${selector}`, 'fails');
  const due = sent + dropped;
  return due > 0 ? (failed + dropped) / due : Number.NaN;
}

export function summaryRecords(data: K6SummaryData, context: SummaryContext): SummaryRecord[] {
  const at = context.at ?? new Date().toISOString();
  const suite = `load/${context.script}.ts`;
  const prefix = `k6_${context.script}`;
  const record = (name: string, v: number, unit: string, target?: Target, note?: string): SummaryRecord => ({
    id: `${prefix}.${name}`,
    value: v,
    unit,
    target: target ? formatTarget(target) : null,
    pass: target ? meets(v, target) : Number.isFinite(v),
    suite,
    ...(note ? { note } : {}),
    at,
  });
  const records = [
    record('api_p50_ms', value(data, 'http_req_duration', 'med'), 'ms'),
    record('api_p95_ms', value(data, 'http_req_duration', 'p(95)'), 'ms', targets.latency.apiP95Ms),
    record('api_p99_ms', value(data, 'http_req_duration', 'p(99)'), 'ms'),
    record('error_rate', errorRate(data), 'ratio', targets.latency.errorRate, 'failed requests + dropped iterations, over requests due'),
    record('achieved_rps', value(data, 'http_reqs', 'rate'), 'req/s', undefined, 'average over the whole run, ramps included'),
    record('target_rps', context.targetRps, 'req/s'),
    record('dropped_iterations', data.metrics.dropped_iterations?.values.count ?? 0, 'iterations'),
  ];
  if (context.checksTarget) records.push(record('checks_pass_rate', value(data, 'checks', 'rate'), 'ratio', context.checksTarget));
  if (context.plateaus?.length) records.push(...plateauRecords(data, context.plateaus, record, context.kneeTarget));
  return records;
}

type RecordFn = (name: string, v: number, unit: string, target?: Target, note?: string) => SummaryRecord;

/** Per-plateau p95 and errors, and the knee: the highest plateau up to which every plateau held the SLO. */
function plateauRecords(data: K6SummaryData, plateaus: readonly Plateau[], record: RecordFn, kneeTarget?: Target): SummaryRecord[] {
  const out: SummaryRecord[] = [];
  let knee = 0;
  let holding = true;
  for (const plateau of plateaus) {
    const selector = `{stage:${plateau.tag}}`;
    const p95 = value(data, `http_req_duration${selector}`, 'p(95)');
    const errors = errorRate(data, selector);
    out.push(record(`${plateau.tag}_p95_ms`, p95, 'ms', undefined, `plateau at ${plateau.rps} req/s`));
    out.push(record(`${plateau.tag}_error_rate`, errors, 'ratio', undefined, `plateau at ${plateau.rps} req/s`));
    holding = holding && meets(p95, targets.latency.apiP95Ms) && meets(errors, targets.latency.errorRate);
    if (holding) knee = plateau.rps;
  }
  out.push(record('knee_rps', knee, 'req/s', kneeTarget, 'highest plateau held with p95 and error rate within target (0: none)'));
  return out;
}

export function thresholdsOk(data: K6SummaryData): boolean {
  return Object.values(data.metrics).every((m) => Object.values(m?.thresholds ?? {}).every((t) => t.ok));
}

export function summaryText(file: SummaryFile): string {
  const lines = file.results.map((r) => `${r.pass ? 'PASS' : 'FAIL'}  ${r.id}  ${Number.isFinite(r.value) ? Number(r.value.toPrecision(4)) : r.value} ${r.unit}  ${r.target ?? '(reported)'}`);
  return `\nrefstack k6 ${file.script} against ${file.baseUrl ?? '?'}: thresholds ${file.thresholdsOk ? 'passed' : 'FAILED'}\n${lines.join('\n')}\n`;
}

/** The script's handleSummary: a results.json-shaped file (SUMMARY_PATH) and a short table on stdout. */
export function summaryHandler(context: () => SummaryContext) {
  return (data: K6SummaryData): Record<string, string> => {
    const ctx = context();
    const file: SummaryFile = {
      schema: 1,
      source: 'k6',
      script: ctx.script,
      baseUrl: ctx.baseUrl ?? null,
      finishedAt: ctx.at ?? new Date().toISOString(),
      thresholdsOk: thresholdsOk(data),
      results: summaryRecords(data, ctx),
    };
    const path = __ENV.SUMMARY_PATH || `${ctx.script}-summary.json`;
    return { stdout: summaryText(file), [path]: `${JSON.stringify(file, null, 2)}\n` };
  };
}
