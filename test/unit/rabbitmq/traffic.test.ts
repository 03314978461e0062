import { describe, expect, it } from 'vitest';
import { longestGap } from '../../../services/rabbitmq/traffic.ts';

describe('longestGap (publish and consume pauses of rabbitmq-node-loss)', () => {
  it('is the longest silence within the window, its edges included', () => {
    expect(longestGap([1_000, 1_500, 4_500, 5_000], 0, 6_000)).toBe(3);
    expect(longestGap([1_000, 1_500], 0, 9_000), 'no event since 1.5 s: the silence runs to the end of the window').toBe(7.5);
    expect(longestGap([], 2_000, 3_500), 'no event at all: the whole window').toBe(1.5);
  });

  it('ignores events outside the window', () => {
    expect(longestGap([0, 100, 10_000, 10_200, 10_400, 50_000], 10_000, 10_600)).toBe(0.2);
  });
});
