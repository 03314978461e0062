import type { Stage } from 'k6/options';
import { targets } from '../../src/core/targets.ts';
import { numberEnv } from './env.ts';

/**
 * Load shapes, as shares of a reference rate: the plan's throughput (targets.plan.apiThroughputRps)
 * unless RATE is given (a smaller staging scales every shape down with it).
 */
export function referenceRps(): number {
  return numberEnv('RATE', targets.plan.apiThroughputRps);
}

/** Little's law at the latency target, doubled, so k6 rarely needs to start VUs mid-run. */
export function vusFor(rps: number): { preAllocatedVUs: number; maxVUs: number } {
  const preAllocatedVUs = Math.max(5, Math.ceil(((rps * targets.latency.apiP95Ms.value) / 1000) * 2));
  return { preAllocatedVUs, maxVUs: preAllocatedVUs * 5 };
}

export const SMOKE = { rps: 2, seconds: 30 } as const;
export const LOAD = { share: 1, seconds: 600 } as const;
export const SOAK = { share: 0.6, seconds: 4 * 3600 } as const;
export const SPIKE = { baselineShare: 0.1, peakShare: 1, baselineSeconds: 60, riseSeconds: 10, peakSeconds: 60, recoverySeconds: 120 } as const;
export const STRESS = { plateauShares: [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2], rampSeconds: 30, holdSeconds: 120 } as const;

export interface Plateau {
  /** Tag value on requests sent during this plateau's hold. */
  tag: string;
  rps: number;
  fromMs: number;
  toMs: number;
}

/** ramping-arrival-rate stages stepping through the plateaus, and when each plateau is held. */
export function stressShape(reference: number, rampSeconds: number = STRESS.rampSeconds, holdSeconds: number = STRESS.holdSeconds): { stages: Stage[]; plateaus: Plateau[] } {
  const stages: Stage[] = [];
  const plateaus: Plateau[] = [];
  let atMs = 0;
  STRESS.plateauShares.forEach((share, index) => {
    const rps = Math.max(1, Math.round(reference * share));
    stages.push({ target: rps, duration: `${rampSeconds}s` }, { target: rps, duration: `${holdSeconds}s` });
    atMs += rampSeconds * 1000;
    plateaus.push({ tag: `p${index + 1}`, rps, fromMs: atMs, toMs: atMs + holdSeconds * 1000 });
    atMs += holdSeconds * 1000;
  });
  stages.push({ target: 0, duration: '10s' });
  return { stages, plateaus };
}

export function plateauAt(plateaus: readonly Plateau[], elapsedMs: number): string {
  return plateaus.find((p) => elapsedMs >= p.fromMs && elapsedMs < p.toMs)?.tag ?? 'ramp';
}
