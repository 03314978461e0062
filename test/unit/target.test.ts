import { describe, expect, it } from 'vitest';
import { formatTarget, meets, parseTarget } from '../../src/core/results/target.ts';

describe('targets', () => {
  it.each([
    ['<= 30', 30, true],
    ['<= 30', 30.01, false],
    ['< 200', 199.9, true],
    ['< 200', 200, false],
    ['== 0', 0, true],
    ['== 0', 1, false],
    ['>= 100', 100, true],
    ['> 0.5', 0.5, false],
  ])('%s against %d → %s', (text, value, expected) => {
    expect(meets(value, parseTarget(text))).toBe(expected);
  });

  it('never passes NaN or Infinity, whatever the comparison', () => {
    expect(meets(Number.NaN, parseTarget('<= 30'))).toBe(false);
    expect(meets(Number.POSITIVE_INFINITY, parseTarget('>= 0'))).toBe(false);
  });

  it('round-trips the written form used in results.json', () => {
    expect(formatTarget(parseTarget('  <=   30 '))).toBe('<= 30');
  });

  it.each(['30', '<<= 1', '<= abc', ''])('rejects %j with a message that shows the expected form', (bad) => {
    expect(() => parseTarget(bad)).toThrow(/expected a comparison such as "<= 30"/);
  });
});
