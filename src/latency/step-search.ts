import { setTimeout as sleep } from 'node:timers/promises';
import { judgeStep, type CapacityResult, type CapacityStep, type Slo } from '../load/capacity.ts';
import { OPEN_MODEL_LIMITS, runOpenModel, type LoadRequest } from '../load/open-model.ts';

/**
 * A capacity search that fits a CI budget whatever the machine holds: rates grow geometrically
 * until a step misses the SLO, then a few bisections between the last held and the first missed
 * rate narrow the knee. At most (rates.length + refinements) × (retries + 1) steps.
 */
export interface StepSearchOptions {
  /** Ascending rates to try, e.g. from {@link geometricRates}. */
  rates: readonly number[];
  /** Bisections after the first missed rate (0..5). */
  refinements: number;
  /** Runs one fixed-rate step and judges it. */
  measure: (rps: number) => Promise<CapacityStep>;
  /** Quiet time between steps (ms), so one step's queue does not count against the next. */
  pauseMs: number;
  /** A missed step is measured again this many times (0..2) before it counts: a neighbour's burst on a shared machine is not the knee. */
  retries?: number;
  onStep?: (step: CapacityStep) => void;
}

export interface StepSearchResult extends CapacityResult {
  /** Width of the interval the knee lies in (firstFailingRps − maxRpsAtSlo), when both are known. */
  resolutionRps: number | null;
}

const MAX_RATES = 30;
const MAX_REFINEMENTS = 5;

/** start, start·factor, … up to max, each rounded to two significant digits. */
export function geometricRates(start: number, max: number, factor: number): number[] {
  if (!(start >= 1) || !(max >= start) || !(factor > 1)) throw new Error(`geometricRates: need 1 <= start <= max and factor > 1, got ${start}, ${max}, ${factor}`);
  const rates: number[] = [];
  for (let r = start; r <= max * (1 + 1e-9); r *= factor) {
    const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(r)) - 1);
    const rounded = Math.round(r / magnitude) * magnitude;
    if (rounded !== rates.at(-1)) rates.push(rounded);
    if (rates.length > MAX_RATES) throw new Error(`geometricRates: more than ${MAX_RATES} rates; raise the factor`);
  }
  return rates;
}

export async function stepSearch(options: StepSearchOptions): Promise<StepSearchResult> {
  const { rates, refinements } = options;
  if (!rates.length || rates.length > MAX_RATES) throw new Error(`stepSearch: 1..${MAX_RATES} rates, got ${rates.length}`);
  if (rates.some((r, i) => !(r >= 1 && r <= OPEN_MODEL_LIMITS.maxRps) || (i > 0 && r <= rates[i - 1]!))) {
    throw new Error(`stepSearch: rates must be ascending, from 1 to ${OPEN_MODEL_LIMITS.maxRps}: ${rates.join(', ')}`);
  }
  if (!Number.isInteger(refinements) || refinements < 0 || refinements > MAX_REFINEMENTS) throw new Error(`stepSearch: refinements must be 0..${MAX_REFINEMENTS}`);
  const steps: CapacityStep[] = [];
  const retries = options.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0 || retries > 2) throw new Error('stepSearch: retries must be 0..2');
  const run = async (rps: number): Promise<boolean> => {
    let step: CapacityStep | undefined;
    for (let attempt = 1; attempt <= retries + 1 && !step?.pass; attempt++) {
      if (steps.length || attempt > 1) await sleep(options.pauseMs);
      step = { ...(await options.measure(rps)), attempts: attempt };
    }
    if (!step) throw new Error('stepSearch: no attempt ran');
    steps.push(step);
    options.onStep?.(step);
    return step.pass;
  };
  let held: number | null = null;
  let failed: number | null = null;
  for (const rps of rates) {
    if (await run(rps)) held = rps;
    else {
      failed = rps;
      break;
    }
  }
  for (let k = 0; k < refinements && held !== null && failed !== null; k++) {
    const mid = Math.round((held + failed) / 2);
    if (mid <= held || mid >= failed) break;
    if (await run(mid)) held = mid;
    else failed = mid;
  }
  return {
    maxRpsAtSlo: held,
    stoppedBy: failed === null ? 'maxRps' : 'slo',
    firstFailingRps: failed,
    steps,
    resolutionRps: held !== null && failed !== null ? failed - held : null,
  };
}

/** A `measure` that runs the open-model generator for `stepSeconds` and judges the step against `slo`. */
export function openModelStep(options: { request: LoadRequest; stepSeconds: number; slo: Slo; minAchievedRatio?: number; timeoutMs?: number }) {
  return async (rps: number): Promise<CapacityStep> => {
    const result = await runOpenModel({ rps, durationSeconds: options.stepSeconds, request: options.request, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    return judgeStep(rps, result, options.slo, options.minAchievedRatio ?? 0.95);
  };
}
