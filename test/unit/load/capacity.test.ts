import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCapacity, judgeStep } from '../../../src/load/capacity.ts';
import { createHttpLoadClient, type HttpLoadClient } from '../../../src/load/http.ts';
import type { OpenModelResult } from '../../../src/load/open-model.ts';
import { targets } from '../../../src/core/targets.ts';
import { startTestServer, type TestServer } from './test-server.ts';

const slo = { p95Ms: targets.latency.apiP95Ms, errorRate: targets.latency.errorRate };

function fakeResult(p95: number, errorRate: number, achievedRps: number): OpenModelResult {
  return {
    targetRps: 100,
    scheduled: 100,
    sent: 100,
    completed: 100,
    errors: Math.round(errorRate * 100),
    errorRate,
    achievedRps,
    elapsedSeconds: 1,
    latencyMs: { p50: 1, p90: p95, p95, p99: p95, max: p95 },
    sendLagMs: { p99: 1, max: 1 },
    statusCounts: {},
    perSecond: [],
  };
}

describe('capacity step judgement', () => {
  it('passes a step only when p95, error rate and the achieved rate all hold, and says which did not', () => {
    expect(judgeStep(100, fakeResult(50, 0, 100), slo, 0.95)).toMatchObject({ pass: true, reasons: [] });
    const failed = judgeStep(100, fakeResult(slo.p95Ms.value, 0.02, 80), slo, 0.95);
    expect(failed.pass).toBe(false);
    expect(failed.reasons).toEqual([
      `p95 ${slo.p95Ms.value.toFixed(1)} ms, target ${slo.p95Ms.op} ${slo.p95Ms.value}`,
      `error rate 0.0200, target ${slo.errorRate.op} ${slo.errorRate.value}`,
      'achieved 80 req/s of 100',
    ]);
  });

  it('refuses searches that would run unbounded', async () => {
    const request = async () => ({ ok: true });
    await expect(findCapacity({ startRps: 1, stepRps: 1, maxRps: 500, stepSeconds: 1, slo, request })).rejects.toThrow(/more than 100/);
    await expect(findCapacity({ startRps: 10, stepRps: 10, maxRps: 5, stepSeconds: 1, slo, request })).rejects.toThrow(/below startRps/);
    await expect(findCapacity({ startRps: 1, stepRps: 1, maxRps: 90, stepSeconds: 10, slo, request, retriesPerStep: 5 })).rejects.toThrow(/could run longer than 3600 s/);
    await expect(findCapacity({ startRps: 1, stepRps: 1, maxRps: 2, stepSeconds: 1, slo, request, retriesPerStep: 9 })).rejects.toThrow(/retriesPerStep/);
  });
});

describe('findCapacity against a server with a known capacity', { timeout: 30_000 }, () => {
  let server: TestServer;
  let client: HttpLoadClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = createHttpLoadClient({ baseUrl: server.url, connections: 16 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  // Timing on a shared machine: a retry re-measures when the process was starved of CPU.
  it('holds the SLO at half of a one-at-a-time server\'s 250 req/s and finds the knee before one and a half times it', { retry: 2 }, async () => {
    server.serviceMs = 4;
    const result = await findCapacity({
      startRps: 125,
      stepRps: 250,
      maxRps: 625,
      stepSeconds: 2,
      pauseSeconds: 0.5,
      warmupSeconds: 1,
      slo,
      request: client.requester(() => ({ method: 'GET', path: '/' })),
    });
    expect(result.steps.map((s) => [s.rps, s.pass])).toEqual([
      [125, true],
      [375, false],
    ]);
    expect(result).toMatchObject({ maxRpsAtSlo: 125, firstFailingRps: 375, stoppedBy: 'slo' });
    // Overload queues work: latency, not errors, is what breaks first.
    expect(result.steps[1]?.reasons[0]).toMatch(/^p95 /);
    expect(result.steps[1]?.result.errors).toBe(0);
  });
});
