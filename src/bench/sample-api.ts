/**
 * `npm run bench:api`: capacity of the sample API's cached read and its write endpoint, side by
 * side with a bare node:http server answering the same JSON and the same cached read in Flask
 * under uWSGI (the plan's original stack). Fixed-rate open-model load (no coordinated omission),
 * stepped up, the three read servers interleaved at each rate, until each misses the SLO twice
 * (p95 < targets.latency.apiP95Ms, errors <= targets.latency.errorRate).
 * Load goes to 127.0.0.1 published ports only. Records report-only bench.* figures in results.json.
 *
 *   npm run bench:api                       # everything
 *   BENCH_STEP_SECONDS=3 npm run bench:api  # quicker, noisier
 *   BENCH_PROFILE=off npm run bench:api     # without the read-path CPU profile at the end (npm run bench:profile)
 */
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const { removeRun } = await import('../core/docker/cleanup.ts');
const { currentRunId } = await import('../core/docker/labels.ts');
const { judgeStep } = await import('../load/capacity.ts');
const { runOpenModel } = await import('../load/open-model.ts');
const { setTimeout: sleep } = await import('node:timers/promises');
const { loadavg } = await import('node:os');
const { createHttpLoadClient } = await import('../load/http.ts');
const { recordResult, writeResultsFile, summaryTable } = await import('../core/results/results.ts');
const { targets } = await import('../core/targets.ts');
const { startStack } = await import('../stack/docker/start.ts');
const { ephemeralPlacement } = await import('../stack/docker/placement.ts');
const { STACK } = await import('../stack/definition.ts');
const { BENCH_CONTENDERS } = await import('../../services/flask-bench/spec.ts');
const { positiveEnv } = await import('./env.ts');
const { profileReadPath, profileTable, recordProfile } = await import('./read-path-profile.ts');

type CapacityStep = ReturnType<typeof judgeStep>;
type LoadRequest = Parameters<typeof runOpenModel>[0]['request'];

const SUITE = 'src/bench/sample-api.ts';
const stepSeconds = positiveEnv('BENCH_STEP_SECONDS', 5);
const slo = { p95Ms: targets.latency.apiP95Ms, errorRate: targets.latency.errorRate };
const runId = currentRunId();


function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

let cleaningUp = false;
async function cleanup(): Promise<void> {
  if (cleaningUp) return;
  cleaningUp = true;
  const removed = await removeRun(runId);
  log(`removed ${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes`);
}
process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));

interface Contender {
  label: string;
  baseUrl: string;
  build: (client: ReturnType<typeof createHttpLoadClient>) => LoadRequest;
}

interface Measured {
  label: string;
  /** Highest rate that held the SLO (a failing step is retried once before it counts), or null. */
  maxRpsAtSlo: number | null;
  best: CapacityStep | undefined;
  stop: CapacityStep | undefined;
  /** The lowest rate tried, for a lower-bound ratio when nothing passed. */
  floorRps: number;
}

function show(label: string, s: CapacityStep, retry: boolean): void {
  const l = s.result.latencyMs;
  const statuses = Object.entries(s.result.statusCounts).filter(([k]) => k !== '200' && k !== '201').map(([k, v]) => `${k}×${v}`).join(' ');
  log(
    `  ${label.padEnd(28).slice(0, 28)} ${String(s.rps).padStart(5)} req/s${retry ? ' (again)' : '        '} → ${s.result.achievedRps.toFixed(0).padStart(5)} done/s  p50 ${l.p50.toFixed(1)}  p95 ${l.p95.toFixed(1)}  p99 ${l.p99.toFixed(1)} ms  errors ${(s.result.errorRate * 100).toFixed(2)} %${statuses ? ` [${statuses}]` : ''}${s.generatorSaturated ? ' (generator late)' : ''}  ${s.pass ? 'ok' : `miss: ${s.reasons.join('; ')}`}`,
  );
}

/**
 * Steps the open-model rate up for several servers at once, interleaved: at each rate every server
 * still in the race runs one step, so all of them meet the same machine (on a shared 2-core host
 * that matters more than anything else). A server leaves the race at the first rate it misses the
 * SLO twice. Generator lag is not a separate stop reason: latency is timed from the intended send
 * time, so a late generator already shows in p95.
 */
async function race(contenders: Contender[], steps: { start: number; step: number; max: number }): Promise<Measured[]> {
  const clients = contenders.map((c) => createHttpLoadClient({ baseUrl: c.baseUrl, connections: 128 }));
  const requests = contenders.map((c, i) => c.build(clients[i]!));
  const results: Measured[] = contenders.map((c) => ({ label: c.label, maxRpsAtSlo: null, best: undefined, stop: undefined, floorRps: steps.start }));
  const run = (i: number, rps: number, seconds: number) => runOpenModel({ rps, durationSeconds: seconds, request: requests[i]!, timeoutMs: 5_000, maxInFlight: 2_000 });
  try {
    log(`\n${contenders.map((c) => c.label).join(' | ')}: from ${steps.start} req/s in steps of ${steps.step} (max ${steps.max}), ${stepSeconds} s each, interleaved`);
    for (let i = 0; i < contenders.length; i++) await run(i, steps.start, 3);
    for (let rps = steps.start, round = 0; rps <= steps.max; rps += steps.step, round++) {
      const racing = contenders.map((_, i) => i).filter((i) => !results[i]!.stop);
      if (!racing.length) break;
      // Rotate who goes first, so no server always runs right after the heaviest one.
      const order = racing.map((_, k) => racing[(k + round) % racing.length]!);
      const missed: number[] = [];
      for (const i of order) {
        await sleep(1_000);
        const step = judgeStep(rps, await run(i, rps, stepSeconds), slo, 0.95);
        show(contenders[i]!.label, step, false);
        if (step.pass) results[i]!.best = step;
        else missed.push(i);
      }
      for (const i of missed) {
        await sleep(2_000);
        const step = judgeStep(rps, await run(i, rps, stepSeconds), slo, 0.95);
        show(contenders[i]!.label, step, true);
        if (step.pass) results[i]!.best = step;
        else results[i]!.stop = step;
      }
    }
    for (const r of results) r.maxRpsAtSlo = r.best?.rps ?? null;
    return results;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

function describe(m: Measured): string {
  if (!m.best) return `no rate held the SLO; at ${m.floorRps} req/s: ${m.stop?.reasons.join('; ')}`;
  const l = m.best.result.latencyMs;
  const limit = m.stop ? `at ${m.stop.rps} req/s: ${m.stop.reasons.join('; ')}` : 'every step passed (capacity is at least this)';
  return `${m.best.rps} req/s at p50 ${l.p50.toFixed(1)} / p95 ${l.p95.toFixed(1)} / p99 ${l.p99.toFixed(1)} ms; ${limit}`;
}

try {
  log(`bench:api run ${runId}`);
  const loadAtStart = loadavg()[0]!.toFixed(1);
  // One API instance of the one stack (no nginx) and the Flask contender on the same backends.
  const contenders = [...STACK, ...BENCH_CONTENDERS];
  const { stack } = await startStack({ profile: 'test', services: ['sample-api', 'flask-bench'], replicas: { 'sample-api': 1 }, options: { 'sample-app.clients': 'bench:1000000' } }, ephemeralPlacement(), { stack: contenders });
  const BENCH_KEY = stack.apiKey('bench');
  const app = { baseUrl: await stack.first('sample-api').url('http') };
  const flaskUrl = await stack.first('flask-bench').url('http');

  // The same JSON the cached read returns, served by a bare node:http server (same node binary, same image).
  const sample = await fetch(`${app.baseUrl}/v1/products/1`, { headers: { 'x-api-key': BENCH_KEY } });
  const productJson = await sample.text();
  if (sample.status !== 200) throw new Error(`GET /v1/products/1 answered ${sample.status}: ${productJson}`);
  const bare = await startStack({ profile: 'test', services: ['bare-node'], options: { 'bench.body': productJson } }, ephemeralPlacement(), { stack: contenders });
  const bareUrl = await bare.stack.first('bare-node').url('http');

  // Warm both caches on the 20 hot products, then check that Flask serves the very same body.
  for (let id = 1; id <= 20; id++) {
    for (const base of [app.baseUrl, flaskUrl]) await fetch(`${base}/v1/products/${id}`, { headers: { 'x-api-key': BENCH_KEY } }).then((r) => r.text());
  }
  const flaskBody = await (await fetch(`${flaskUrl}/v1/products/1`, { headers: { 'x-api-key': BENCH_KEY } })).text();
  if (JSON.stringify(JSON.parse(flaskBody)) !== JSON.stringify(JSON.parse(productJson))) throw new Error(`Flask answers a different product JSON:\n${flaskBody}\n${productJson}`);

  const cachedRead = (client: ReturnType<typeof createHttpLoadClient>): LoadRequest =>
    client.requester((i) => ({ method: 'GET', path: `/v1/products/${1 + (i % 20)}`, headers: { 'x-api-key': BENCH_KEY }, okStatuses: [200] }));
  const readSteps = { start: 100, step: 150, max: 6_000 };
  const [read, bareResult, flaskResult] = (await race(
    [
      { label: 'sample-app cached read', baseUrl: app.baseUrl, build: cachedRead },
      { label: 'bare node:http (same JSON)', baseUrl: bareUrl, build: (client) => client.requester(() => ({ method: 'GET', path: '/v1/products/1', okStatuses: [200] })) },
      { label: 'Flask + uWSGI cached read', baseUrl: flaskUrl, build: cachedRead },
    ],
    readSteps,
  )) as [Measured, Measured, Measured];

  const owner = await fetch(`${app.baseUrl}/v1/users`, {
    method: 'POST',
    headers: { 'x-api-key': BENCH_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${runId.toLowerCase()}@example.test`, name: 'Bench' }),
  });
  const userId = ((await owner.json()) as { id: string }).id;
  const [write] = (await race(
    [
      {
        label: 'sample-app write (POST /v1/orders)',
        baseUrl: app.baseUrl,
        build: (client) => client.requester((i) => ({ method: 'POST', path: '/v1/orders', headers: { 'x-api-key': BENCH_KEY }, json: { userId, items: [{ productId: String(1 + (i % 100)), quantity: 1 }] }, okStatuses: [201] })),
      },
    ],
    { start: 25, step: 50, max: 2_000 },
  )) as [Measured];

  const rps = (m: Measured) => m.maxRpsAtSlo ?? 0;
  // When the reference held no rate at all, its floor rate stands in and the ratio is a lower bound.
  const ratio = (a: Measured, b: Measured) => Number((rps(a) / (b.maxRpsAtSlo ?? b.floorRps)).toFixed(3));
  const bound = (b: Measured) =>
    b.maxRpsAtSlo === null
      ? ' (lower bound: the reference held no rate)'
      : b.stop
        ? ''
        : ` (upper bound: the reference held every rate up to ${readSteps.max} req/s, so its capacity is at least that)`;
  const sloNote = `open model, p95 < ${slo.p95Ms.value} ms and errors <= ${slo.errorRate.value * 100} %, ${stepSeconds} s steps, generator on the same 2-core host, load average ${loadAtStart} at start and ${loadavg()[0]!.toFixed(1)} at end`;
  recordResult({ id: 'bench.api_read_rps', value: rps(read), unit: 'req/s', suite: SUITE, note: `${describe(read)} (${sloNote})` });
  recordResult({ id: 'bench.api_read_vs_flask_ratio', value: ratio(read, flaskResult), unit: 'x', suite: SUITE, note: `Flask+uWSGI (2 processes × 2 threads): ${describe(flaskResult)}${bound(flaskResult)}` });
  recordResult({ id: 'bench.api_read_vs_bare_node_ratio', value: ratio(read, bareResult), unit: 'x', suite: SUITE, note: `bare node:http: ${describe(bareResult)}${bound(bareResult)}` });
  recordResult({ id: 'bench.api_write_rps', value: rps(write), unit: 'req/s', suite: SUITE, note: `${describe(write)} (${sloNote})` });

  log('\nsummary');
  for (const m of [read, bareResult, flaskResult, write]) log(`  ${m.label.padEnd(36).slice(0, 36)} ${describe(m)}`);

  if (process.env.BENCH_PROFILE !== 'off') {
    await cleanup();
    cleaningUp = false;
    // Well inside the capacity just measured, so the profile shows the work per request, not queueing.
    const profileRps = Math.max(50, Math.round(rps(read) * 0.5));
    const profile = await profileReadPath({ rps: profileRps, seconds: positiveEnv('BENCH_PROFILE_SECONDS', 20), log });
    log(`\n${profileTable(profile)}`);
    recordProfile(profile, recordResult, SUITE);
  }
} finally {
  await cleanup();
  const file = writeResultsFile({ finished: true, runId });
  process.stdout.write(`\n${summaryTable(file)}\n`);
}
