import { relative } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from '../core/paths.ts';
import { recordResult, type Measurement, type ResultRecord } from '../core/results/results.ts';

/** The repository-relative path of the test file running now, from vitest itself. */
export function suitePath(): string {
  const path = expect.getState().testPath;
  if (!path) throw new Error('suitePath() is only known inside a vitest test or hook');
  return relative(ROOT, path);
}

/** recordResult with the suite taken from vitest: figures name the file that measured them, never a hand-typed constant. */
export function record(m: Omit<Measurement, 'suite'>): ResultRecord {
  return recordResult({ ...m, suite: suitePath() });
}
