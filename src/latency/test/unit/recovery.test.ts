import { describe, expect, it } from 'vitest';
import { recoveryAfter } from '../../recovery.ts';
import type { SecondStats } from '../../../load/open-model.ts';

const second = (n: number, p95: number, errors = 0): SecondStats => ({ second: n, scheduled: 100, sent: 100, ok: 100 - errors, errors, p50: p95 / 2, p95, p99: p95, max: p95 });
const options = { p95Meets: (ms: number) => ms < 200, errorRateMeets: (r: number) => r <= 0.01 };

describe('recoveryAfter', () => {
  it('counts from the fault to the end of the last second that missed a target', () => {
    const run = [second(0, 10), second(1, 10), second(2, 900), second(3, 50, 30), second(4, 20), second(5, 20), second(6, 20)];
    expect(recoveryAfter(run, 2, options)).toEqual({ recoverySeconds: 2, badSeconds: [2, 3], goodTailSeconds: 3 });
  });

  it('is zero when no second after the fault missed a target, and ignores bad seconds before it', () => {
    const run = [second(0, 900), second(1, 10), second(2, 10)];
    expect(recoveryAfter(run, 1, options)).toEqual({ recoverySeconds: 0, badSeconds: [], goodTailSeconds: 2 });
  });

  it('reports no good tail when the run ends while still missing', () => {
    const run = [second(0, 10), second(1, 10), second(2, 20, 50)];
    expect(recoveryAfter(run, 1, options).goodTailSeconds).toBe(0);
  });

  it('a late good second between bad ones does not count as recovery', () => {
    const run = [second(0, 10), second(1, 500), second(2, 500), second(3, 20), second(4, 500), second(5, 500), second(6, 10)];
    expect(recoveryAfter(run, 1, options).recoverySeconds).toBe(5);
  });

  it('one slow second amid good ones is noise; an error in one second never is', () => {
    const blip = [second(0, 10), second(1, 900, 40), second(2, 20), second(3, 20), second(4, 267), second(5, 20), second(6, 20)];
    expect(recoveryAfter(blip, 1, options)).toEqual({ recoverySeconds: 1, badSeconds: [1], goodTailSeconds: 5 });
    const error = [second(0, 10), second(1, 900, 40), second(2, 20), second(3, 20), second(4, 20, 5), second(5, 20), second(6, 20)];
    expect(recoveryAfter(error, 1, options)).toEqual({ recoverySeconds: 4, badSeconds: [1, 4], goodTailSeconds: 2 });
  });

  it('rejects a fault after the run', () => {
    expect(() => recoveryAfter([second(0, 10)], 5, options)).toThrow(/no per-second statistics/);
  });
});
