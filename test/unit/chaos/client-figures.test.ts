import { describe, expect, it } from 'vitest';
import { detectionClock, forbidden, writeRecovery, type ClientSample } from '../../../src/chaos/traffic.ts';

const w = (t: number, status: number, ms = 50): ClientSample => ({ t, kind: 'write', ms, status });

describe("the background client's figures (src/chaos/traffic.ts)", () => {
  it('writes recover at the end of the first accepted write after the last failed one, from the last undo', () => {
    const writes = [w(0, 201), w(5_000, 503), w(5_500, 0, 6_000), w(12_000, 503), w(12_500, 201, 300), w(13_000, 201)];
    expect(writeRecovery(writes, 10_000).seconds).toBeCloseTo(2.8, 5);
    expect(writeRecovery([w(0, 201), w(500, 201)], 10_000)).toEqual({ seconds: 0, note: 'no write failed' });
    expect(writeRecovery([w(0, 201), w(500, 503)], 400).seconds).toBe(Number.POSITIVE_INFINITY);
    expect(writeRecovery([w(0, 503), w(500, 201)], 10_000).seconds).toBe(0);
  });

  it('a first-failure clock starts at the first failed request at or after the fault; a fault clock at none', () => {
    const samples = [w(1_000, 500), w(4_000, 201), { ...w(6_000, 0), kind: 'read' as const }, w(7_000, 503)];
    expect(detectionClock('first-failure', samples, 3_000)?.t).toBe(6_000);
    expect(detectionClock('fault', samples, 3_000)).toBeUndefined();
    expect(detectionClock('first-failure', [w(4_000, 201)], 3_000)).toBeUndefined();
  });

  it('only a 503 is an allowed failure: other 5xx and no answer are forbidden', () => {
    expect([503, 500, 502, 0, 201, 429].map((status) => forbidden(w(0, status)))).toEqual([false, true, true, true, false, false]);
  });
});
