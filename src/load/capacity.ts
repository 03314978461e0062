import { setTimeout as sleep } from 'node:timers/promises';
import { formatTarget, meets, type Target } from '../core/results/target.ts';
import { runOpenModel, type LoadRequest, type OpenModelResult } from './open-model.ts';

/** The service level a rate must hold to count as capacity (pass targets.latency.* here). */
export interface Slo {
  p95Ms: Target;
  errorRate: Target;
}

export interface CapacityOptions {
  startRps: number;
  stepRps: number;
  maxRps: number;
  stepSeconds: number;
  slo: Slo;
  request: LoadRequest;
  maxInFlight?: number;
  timeoutMs?: number;
  /** Quiet time between steps so queues left by one step do not count against the next (default 1 s). */
  pauseSeconds?: number;
  /** A step must also complete this share of its rate (default 0.95): an SLO met at a lower rate is not that rate. */
  minAchievedRatio?: number;
  /** Fail a step whose requests the generator sent late (send-lag p99 above GENERATOR_LAG_LIMIT_MS). */
  requireOnTimeSend?: boolean;
  /**
   * Re-measure a failing step this many times before calling it the knee (default 0). On a shared
   * machine a few hundred milliseconds without CPU fail any step once; a real limit fails every time.
   */
  retriesPerStep?: number;
  /** An unjudged run at startRps first, so JIT, connection set-up and caches do not count (default 2 s). */
  warmupSeconds?: number;
  onStep?: (step: CapacityStep) => void;
}

export interface CapacityStep {
  rps: number;
  pass: boolean;
  /** Why the step failed; empty when it passed. */
  reasons: string[];
  /** Runs at this rate (1 + re-measurements of a failing step); the last one is judged. */
  attempts: number;
  /** The generator itself sent late (send-lag p99 above GENERATOR_LAG_LIMIT_MS): the machine, not only the target, was saturated. */
  generatorSaturated: boolean;
  result: Omit<OpenModelResult, 'perSecond'>;
}

export interface CapacityResult {
  /** Highest stepped rate that held the SLO; null when even startRps did not. */
  maxRpsAtSlo: number | null;
  /** 'slo': a step failed (the knee is between maxRpsAtSlo and the failing step); 'maxRps': every step passed, so capacity is at least maxRpsAtSlo. */
  stoppedBy: 'slo' | 'maxRps';
  firstFailingRps: number | null;
  steps: CapacityStep[];
}

export const GENERATOR_LAG_LIMIT_MS = 20;
const MAX_STEPS = 100;
const MAX_TOTAL_SECONDS = 3_600;

export function judgeStep(rps: number, result: OpenModelResult, slo: Slo, minAchievedRatio: number, requireOnTimeSend = false): CapacityStep {
  const reasons: string[] = [];
  const generatorSaturated = result.sendLagMs.p99 > GENERATOR_LAG_LIMIT_MS;
  if (!meets(result.latencyMs.p95, slo.p95Ms)) reasons.push(`p95 ${result.latencyMs.p95.toFixed(1)} ms, target ${formatTarget(slo.p95Ms)}`);
  if (!meets(result.errorRate, slo.errorRate)) reasons.push(`error rate ${result.errorRate.toFixed(4)}, target ${formatTarget(slo.errorRate)}`);
  if (result.achievedRps < rps * minAchievedRatio) reasons.push(`achieved ${result.achievedRps.toFixed(0)} req/s of ${rps}`);
  if (requireOnTimeSend && generatorSaturated) reasons.push(`generator send-lag p99 ${result.sendLagMs.p99.toFixed(1)} ms > ${GENERATOR_LAG_LIMIT_MS} ms`);
  const { perSecond: _perSecond, ...summary } = result;
  return {
    rps,
    pass: reasons.length === 0,
    reasons,
    attempts: 1,
    generatorSaturated,
    result: summary,
  };
}

/** Steps the open-model rate up from startRps until a step misses the SLO or maxRps is passed. */
export async function findCapacity(options: CapacityOptions): Promise<CapacityResult> {
  const { startRps, stepRps, maxRps, stepSeconds } = options;
  if (![startRps, stepRps, maxRps, stepSeconds].every((n) => Number.isFinite(n) && n > 0)) {
    throw new Error('findCapacity: startRps, stepRps, maxRps and stepSeconds must be positive numbers');
  }
  if (maxRps < startRps) throw new Error(`findCapacity: maxRps (${maxRps}) is below startRps (${startRps})`);
  const rates: number[] = [];
  for (let rps = startRps; rps <= maxRps + 1e-9; rps += stepRps) rates.push(rps);
  const pauseSeconds = options.pauseSeconds ?? 1;
  if (rates.length > MAX_STEPS) throw new Error(`findCapacity: ${rates.length} steps is more than ${MAX_STEPS}; raise stepRps`);
  const retries = options.retriesPerStep ?? 0;
  if (!Number.isInteger(retries) || retries < 0 || retries > 5) throw new Error(`findCapacity: retriesPerStep must be an integer from 0 to 5, got ${retries}`);
  // Worst case: every step needs every re-measurement.
  if (rates.length * (retries + 1) * (stepSeconds + pauseSeconds) + (options.warmupSeconds ?? 2) > MAX_TOTAL_SECONDS) {
    throw new Error(`findCapacity: ${rates.length} steps of ${stepSeconds} s (${retries + 1} attempts each at most) could run longer than ${MAX_TOTAL_SECONDS} s`);
  }
  const minAchievedRatio = options.minAchievedRatio ?? 0.95;
  const run = (rps: number, durationSeconds: number) =>
    runOpenModel({ rps, durationSeconds, request: options.request, maxInFlight: options.maxInFlight, timeoutMs: options.timeoutMs });
  const warmupSeconds = options.warmupSeconds ?? 2;
  if (warmupSeconds > 0) {
    await run(startRps, warmupSeconds);
    await sleep(pauseSeconds * 1000);
  }
  const steps: CapacityStep[] = [];
  let maxRpsAtSlo: number | null = null;
  for (const [index, rps] of rates.entries()) {
    if (index > 0) await sleep(pauseSeconds * 1000);
    let step = judgeStep(rps, await run(rps, stepSeconds), options.slo, minAchievedRatio, options.requireOnTimeSend);
    for (let retry = 1; !step.pass && retry <= retries; retry++) {
      await sleep(pauseSeconds * 1000);
      step = { ...judgeStep(rps, await run(rps, stepSeconds), options.slo, minAchievedRatio, options.requireOnTimeSend), attempts: retry + 1 };
    }
    steps.push(step);
    options.onStep?.(step);
    if (!step.pass) return { maxRpsAtSlo, stoppedBy: 'slo', firstFailingRps: rps, steps };
    maxRpsAtSlo = rps;
  }
  return { maxRpsAtSlo, stoppedBy: 'maxRps', firstFailingRps: null, steps };
}
