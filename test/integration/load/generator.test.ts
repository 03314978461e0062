import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { waitForQuietHost } from '../../../src/core/poll.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCapacity, GENERATOR_LAG_LIMIT_MS } from '../../../src/load/capacity.ts';
import { runOpenModel } from '../../../src/load/open-model.ts';
import { createHttpLoadClient, type HttpLoadClient } from '../../../src/load/http.ts';
import { record as recordResult } from '../../../src/testing/record.ts';
import { targets } from '../../../src/core/targets.ts';

/**
 * The open-model generator's own ceiling on this machine: how fast it sends on time, with every
 * answer inside the latency target, to a server that does nothing. The latency and capacity suites
 * must stay below this rate, or they measure the generator instead of the environment. The server
 * runs in its own process, so it competes for the cores as a real API would.
 */
const TRIVIAL_SERVER = `
const server = require('node:http').createServer((req, res) => res.end('ok'));
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

describe('open-model generator self-test', () => {
  let server: ChildProcess;
  let client: HttpLoadClient;

  beforeAll(async () => {
    server = spawn(process.execPath, ['-e', TRIVIAL_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve, reject) => {
      server.once('error', reject);
      server.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    });
    client = createHttpLoadClient({ baseUrl: `http://127.0.0.1:${port}`, connections: 16 });
  });

  afterAll(async () => {
    await client?.close();
    server?.kill();
  });

  it('sends on time (send-lag p99 within the limit) with p95 and errors within the API targets, up to a measured rate', async () => {
    const search = () => findCapacity({
      // From 500 req/s: above any rate the latency suite drives (its capacity search tops out near 300),
      // low enough that a machine still busy with the previous suite's teardown holds it.
      startRps: 500,
      stepRps: 1_500,
      maxRps: 20_000,
      stepSeconds: 2,
      retriesPerStep: 1,
      pauseSeconds: 0.5,
      warmupSeconds: 2,
      slo: { p95Ms: targets.latency.apiP95Ms, errorRate: targets.latency.errorRate },
      minAchievedRatio: 0.99,
      requireOnTimeSend: true,
      request: client.requester(() => ({ method: 'GET', path: '/' })),
      onStep: (s) => process.stderr.write(`generator ${s.rps} req/s: ${s.pass ? 'held' : `missed (${s.reasons.join('; ')})`}, p95 ${s.result.latencyMs.p95} ms, send-lag p99 ${s.result.sendLagMs.p99} ms\n`),
    });
    // A failing step is measured twice (retriesPerStep): a process starved of CPU by a busy machine
    // misses a schedule once; a generator at its limit misses it every time.
    // A self-test of the generator, not of the machine: the previous suite's environment (being removed,
    // or still settling) is waited out first, bounded, as the latency suite's judged windows do.
    const quiet = await waitForQuietHost(120_000);
    const loadBefore = `${loadavg()[0]!.toFixed(1)} (after ${quiet.waitedSeconds} s of waiting for ≤ ${quiet.limit})`;
    const capacity = await search();
    const held = capacity.steps.filter((s) => s.pass).at(-1);
    const failing = capacity.steps.find((s) => !s.pass);
    const note = `${failing ? `first missed step ${failing.rps} req/s: ${failing.reasons.join('; ')}` : `every step up to ${capacity.maxRpsAtSlo} req/s held (a lower bound)`}; host load average before: ${loadBefore}`;
    recordResult({ id: 'load.generator_max_rps', value: capacity.maxRpsAtSlo ?? 0, unit: 'req/s', note });
    if (held) {
      recordResult({ id: 'load.generator_send_lag_p99_ms', value: held.result.sendLagMs.p99, unit: 'ms', note: `at ${held.rps} req/s` });
      recordResult({ id: 'load.generator_p95_ms', value: held.result.latencyMs.p95, unit: 'ms', note: `at ${held.rps} req/s, trivial server` });
    }
    // CPU the generator process spends per request: its ceiling on a core of its own, whatever else the machine is doing.
    const cpuRps = capacity.maxRpsAtSlo ?? capacity.steps[0]!.rps;
    const cpuBefore = process.cpuUsage();
    const cpuRun = await runOpenModel({ rps: cpuRps, durationSeconds: 2, request: client.requester(() => ({ method: 'GET', path: '/' })) });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMicros = (cpu.user + cpu.system) / cpuRun.sent;
    recordResult({
      id: 'load.generator_cpu_us_per_request',
      value: Math.round(cpuMicros * 10) / 10,
      unit: 'µs',
      note: `at ${cpuRps} req/s (test runner process, includes the HTTP client); one free core ≈ ${Math.floor(1e6 / cpuMicros)} req/s`,
    });
    expect(capacity.maxRpsAtSlo, `the generator could not hold even ${capacity.steps[0]?.rps} req/s: ${note}`).not.toBeNull();
    expect(held!.result.sendLagMs.p99).toBeLessThanOrEqual(GENERATOR_LAG_LIMIT_MS);
    expect(held!.result.errors).toBe(0);
  }, 400_000);
});
