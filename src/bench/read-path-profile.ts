import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runDir } from '../core/results/results.ts';
import { createHttpLoadClient } from '../load/http.ts';
import { runOpenModel } from '../load/open-model.ts';
import { ephemeralPlacement } from '../stack/docker/placement.ts';
import { STACK } from '../stack/definition.ts';
import { startStack } from '../stack/docker/start.ts';
import { CATEGORIES, type CpuProfile, type ProfileSummary, summarizeProfile, type TimeShare } from './cpu-profile.ts';

const run = promisify(execFile);
const PROFILE_DIR = '/tmp/cpu-prof';
const BUNDLE = '/app/sample-app.cjs';

export interface ReadPathProfile {
  summary: ProfileSummary;
  rps: number;
  seconds: number;
  /** Requests answered 200 while profiling. */
  ok: number;
  /** Where the raw `.cpuprofile` was saved (opens in Chrome DevTools → Performance). */
  profileFile: string;
}

/**
 * Profiles the sample API's cached read (`GET /v1/products/:id`, 20 hot products) under a fixed open-model
 * rate: one API instance of the one stack, its node started with `--cpu-prof`, stopped with SIGTERM (the
 * profile is written at exit), its profile copied out with `docker cp` and reduced to self time per
 * category. Load goes to the instance's 127.0.0.1 port only. Removes the stack it started.
 * Throws when the API does not answer or the profile is missing.
 */
export async function profileReadPath(options: { rps: number; seconds: number; log: (line: string) => void }): Promise<ReadPathProfile> {
  const { rps, seconds, log } = options;
  const { stack } = await startStack(
    {
      profile: 'test',
      services: ['sample-api'],
      replicas: { 'sample-api': 1 },
      options: { 'sample-app.clients': 'bench:1000000' },
    },
    ephemeralPlacement(),
    // The one stack's API, with the profiler flags on node's command line (Node 20 refuses --cpu-prof in NODE_OPTIONS).
    { stack: STACK.map((s) => (s.name === 'sample-api' ? { ...s, entrypoint: ['node', '--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, BUNDLE] } : s)) },
  );
  try {
    const api = stack.first('sample-api');
    const baseUrl = await api.url('http');
    const key = stack.apiKey('bench');
    for (let id = 1; id <= 20; id++) await fetch(`${baseUrl}/v1/products/${id}`, { headers: { 'x-api-key': key } }).then((r) => r.text());
    const client = createHttpLoadClient({ baseUrl, connections: 64 });
    log(`profiling the cached read: ${rps} req/s for ${seconds} s on one API instance started with --cpu-prof`);
    const loadStart = performance.now();
    const result = await runOpenModel({
      rps,
      durationSeconds: seconds,
      timeoutMs: 5_000,
      maxInFlight: 1_000,
      request: client.requester((i) => ({ method: 'GET', path: `/v1/products/${1 + (i % 20)}`, headers: { 'x-api-key': key }, okStatuses: [200] })),
    }).finally(() => client.close());
    const loadEnd = performance.now();
    const ok = result.statusCounts['200'] ?? 0;
    if (ok === 0) throw new Error(`no cached read answered 200 while profiling: ${JSON.stringify(result.statusCounts)}`);
    const { exitCode } = await api.signalAndWait('SIGTERM');
    const exited = performance.now();
    // Only the load window counts: start-up (module compilation) and shutdown are not the read path.
    const window = { fromSecondsBeforeEnd: (exited - loadStart) / 1000, toSecondsBeforeEnd: (exited - loadEnd) / 1000 };
    const out = join(runDir(), 'read-path-profile');
    mkdirSync(out, { recursive: true });
    await run('docker', ['cp', `${api.container}:${PROFILE_DIR}/.`, out]);
    await run('docker', ['cp', `${api.container}:${BUNDLE}`, join(out, 'sample-app.cjs')]);
    const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the API exited with ${exitCode} and wrote no .cpuprofile in ${PROFILE_DIR}: Node writes it only on a normal exit`);
    const profile = JSON.parse(readFileSync(join(out, file), 'utf8')) as CpuProfile;
    const summary = summarizeProfile(profile, BUNDLE, readFileSync(join(out, 'sample-app.cjs'), 'utf8'), window);
    writeFileSync(join(out, 'summary.json'), `${JSON.stringify({ rps, seconds, ok, ...summary }, null, 2)}\n`);
    return { summary, rps, seconds, ok, profileFile: join(out, file) };
  } finally {
    await stack.remove();
  }
}

/** The summary as the table the closing note and the terminal show. */
export function profileTable(p: ReadPathProfile, top = 12): string {
  const pct = (s: number) => `${(s * 100).toFixed(1).padStart(5)} %`;
  const busyPerRequestUs = (p.summary.busyMs * 1000) / p.ok;
  return [
    `cached read, ${p.rps} req/s for ${p.seconds} s: ${p.ok} × 200; in that window the API was busy ${p.summary.busyMs.toFixed(0)} of ${p.summary.totalMs.toFixed(0)} ms sampled (${busyPerRequestUs.toFixed(0)} µs CPU per request)`,
    'self time by category  |  with Node core charged to its caller:',
    ...p.summary.categories.map((c, i) => {
      const b = p.summary.byCaller[i];
      return `  ${pct(c.share)}  ${c.name.padEnd(44)}|  ${b ? `${pct(b.share)}  ${b.name}` : ''}`;
    }),
    `top ${top} functions by self time:`,
    ...p.summary.functions.slice(0, top).map((f) => `  ${pct(f.share)}  ${f.name}`),
    `raw profile (Chrome DevTools): ${p.profileFile}`,
  ].join('\n');
}

type Record = (m: { id: string; value: number; unit: string; suite: string; note: string }) => unknown;

/** Report-only figures: CPU per request and each category's share of the busy time (`bench.read_path.<category>_share`). */
export function recordProfile(p: ReadPathProfile, record: Record, suite: string): void {
  const how = `cached GET /v1/products/:id at ${p.rps} req/s for ${p.seconds} s on one instance, V8 sampling profiler (node --cpu-prof); raw profile ${p.profileFile}`;
  record({ id: 'bench.read_path.cpu_us_per_request', value: Math.round((p.summary.busyMs * 1000) / p.ok), unit: 'µs', suite, note: how });
  for (const [name, id] of CATEGORIES) {
    const share = (list: TimeShare[]) => Number(((list.find((c) => c.name === name)?.share ?? 0) * 100).toFixed(1));
    record({ id: `bench.read_path.${id}_share`, value: share(p.summary.byCaller), unit: '%', suite, note: `CPU in ${name}, with the Node core work it called (socket writes, parsing); ${share(p.summary.categories)} % is its own code. Share of the busy (non-idle) time; ${how}` });
  }
}
