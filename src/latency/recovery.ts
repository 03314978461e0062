import type { SecondStats } from '../load/open-model.ts';

/** Per-second verdicts of an open-model run across a fault, against the latency targets. */
export interface SecondVerdictOptions {
  /** Whether a second's p95 (ms) meets the latency target. */
  p95Meets: (p95Ms: number) => boolean;
  /** Whether a second's error share meets the error-rate target. */
  errorRateMeets: (rate: number) => boolean;
}

export interface Recovery {
  /** Seconds from the fault until the first second from which every later second met both targets. */
  recoverySeconds: number;
  /** Seconds after the fault that missed a target. */
  badSeconds: number[];
  /** Consecutive good seconds at the end of the run that prove the recovery held. */
  goodTailSeconds: number;
}

/**
 * Recovery is measured by intended send time: the first second s ≥ faultSecond after which no second
 * misses a target. An error in a second is always a miss. A p95 miss counts when a neighbouring second
 * misses a target too: at the suites' rates a second holds ~50 requests, so its p95 is decided by its three
 * slowest, and one slow second amid good ones (a checkpoint, a scrape) is noise, not a recovery not yet
 * reached. A run that ends inside a bad second has not recovered.
 */
export function recoveryAfter(perSecond: readonly SecondStats[], faultSecond: number, options: SecondVerdictOptions): Recovery {
  const after = perSecond.filter((s) => s.second >= faultSecond);
  if (!after.length) throw new Error(`recoveryAfter: no per-second statistics at or after second ${faultSecond}`);
  const slow = (s: SecondStats | undefined) => s !== undefined && !options.p95Meets(s.p95);
  const erring = (s: SecondStats | undefined) => s !== undefined && !options.errorRateMeets(s.scheduled ? s.errors / s.scheduled : 0);
  const missing = (s: SecondStats | undefined) => slow(s) || erring(s);
  const bad = (s: SecondStats, i: number) => erring(s) || (slow(s) && (missing(after[i - 1]) || missing(after[i + 1])));
  const badSeconds = after.filter(bad).map((s) => s.second);
  const lastBad = badSeconds.at(-1);
  const recoveredAt = lastBad === undefined ? faultSecond : lastBad + 1;
  const lastSecond = after.at(-1)!.second;
  return { recoverySeconds: recoveredAt - faultSecond, badSeconds, goodTailSeconds: lastSecond + 1 - recoveredAt };
}
