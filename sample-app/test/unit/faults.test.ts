import { describe, expect, it } from 'vitest';
import { Faults } from '../../src/api/faults.ts';

const failures = (faults: Faults, n: number) => Array.from({ length: n }, () => faults.nextFails()).filter(Boolean).length;

describe('injected failures are spread evenly', () => {
  it('fails exactly 3 of every 100 requests at 0.03, in every window of 100', () => {
    const faults = new Faults();
    faults.errorRate = 0.03;
    for (let window = 0; window < 10; window++) expect(failures(faults, 100)).toBe(3);
  });

  it('never lets a short window drift more than one request from the rate', () => {
    const faults = new Faults();
    faults.errorRate = 0.2;
    const outcomes = Array.from({ length: 1_000 }, () => faults.nextFails());
    for (let start = 0; start + 37 <= outcomes.length; start += 7) {
      const failed = outcomes.slice(start, start + 37).filter(Boolean).length;
      expect(Math.abs(failed - 37 * 0.2)).toBeLessThanOrEqual(1);
    }
  });

  it('fails nothing at 0 and everything at 1', () => {
    const faults = new Faults();
    expect(failures(faults, 50)).toBe(0);
    faults.errorRate = 1;
    expect(failures(faults, 50)).toBe(50);
  });
});
