import { describe, expect, it } from 'vitest';
import type { CapacityStep } from '../../../load/capacity.ts';
import { geometricRates, stepSearch } from '../../step-search.ts';

/** A fake environment that holds the SLO up to `knee` req/s. */
function fakeMeasure(knee: number, tried: number[]) {
  return async (rps: number): Promise<CapacityStep> => {
    tried.push(rps);
    const pass = rps <= knee;
    return { rps, pass, reasons: pass ? [] : ['p95 too high'], generatorSaturated: false, attempts: 1, result: {} as CapacityStep['result'] };
  };
}

describe('geometricRates', () => {
  it('grows by the factor, rounded to two significant digits, up to max', () => {
    expect(geometricRates(50, 1_000, 1.5)).toEqual([50, 75, 110, 170, 250, 380, 570, 850]);
  });

  it('rejects a factor that would not grow', () => {
    expect(() => geometricRates(50, 100, 1)).toThrow(/factor > 1/);
  });
});

describe('stepSearch', () => {
  it('steps up to the first miss, then bisects toward the knee', async () => {
    const tried: number[] = [];
    const result = await stepSearch({ rates: [50, 100, 200, 400], refinements: 2, measure: fakeMeasure(260, tried), pauseMs: 0 });
    expect(tried).toEqual([50, 100, 200, 400, 300, 250]);
    expect(result).toMatchObject({ maxRpsAtSlo: 250, firstFailingRps: 300, stoppedBy: 'slo', resolutionRps: 50 });
  });

  it('reports a lower bound when every rate held', async () => {
    const result = await stepSearch({ rates: [50, 100], refinements: 2, measure: fakeMeasure(1_000, []), pauseMs: 0 });
    expect(result).toMatchObject({ maxRpsAtSlo: 100, firstFailingRps: null, stoppedBy: 'maxRps', resolutionRps: null });
  });

  it('reports null when even the first rate missed, without bisecting below it', async () => {
    const tried: number[] = [];
    const result = await stepSearch({ rates: [50, 100], refinements: 3, measure: fakeMeasure(10, tried), pauseMs: 0 });
    expect(tried).toEqual([50]);
    expect(result.maxRpsAtSlo).toBeNull();
  });

  it('measures a missed step again before counting it, and keeps the attempt that passed', async () => {
    let calls = 0;
    const flaky = async (rps: number): Promise<CapacityStep> => {
      calls += 1;
      const pass = rps <= 100 && calls !== 2;
      return { rps, pass, reasons: pass ? [] : ['noise'], generatorSaturated: false, attempts: 1, result: {} as CapacityStep['result'] };
    };
    const result = await stepSearch({ rates: [50, 100, 200], refinements: 0, measure: flaky, pauseMs: 0, retries: 1 });
    expect(result.steps.map((s) => [s.rps, s.pass, s.attempts])).toEqual([[50, true, 1], [100, true, 2], [200, false, 2]]);
    expect(result.maxRpsAtSlo).toBe(100);
  });

  it('rejects rates that are not ascending', async () => {
    await expect(stepSearch({ rates: [100, 50], refinements: 0, measure: fakeMeasure(1, []), pauseMs: 0 })).rejects.toThrow(/ascending/);
  });
});
