/**
 * `npm run bench:profile`: where the sample API's cached read spends its CPU (rate limit, cache,
 * validation, metrics, Express, Node's HTTP stack…), from a V8 CPU profile taken under a fixed load.
 * Records report-only bench.read_path.* shares in results.json and keeps the raw profile beside them.
 *
 *   npm run bench:profile                                  # 300 req/s for 20 s
 *   BENCH_PROFILE_RPS=500 BENCH_PROFILE_SECONDS=30 npm run bench:profile
 */
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const { recordResult, writeResultsFile } = await import('../core/results/results.ts');
const { currentRunId } = await import('../core/docker/labels.ts');
const { positiveEnv } = await import('./env.ts');
const { profileReadPath, profileTable, recordProfile } = await import('./read-path-profile.ts');

const log = (line: string) => process.stderr.write(`${line}\n`);
const runId = currentRunId();
try {
  const profile = await profileReadPath({ rps: positiveEnv('BENCH_PROFILE_RPS', 300), seconds: positiveEnv('BENCH_PROFILE_SECONDS', 20), log });
  log(profileTable(profile));
  recordProfile(profile, recordResult, 'src/bench/read-path.ts');
} finally {
  writeResultsFile({ finished: true, runId });
}
