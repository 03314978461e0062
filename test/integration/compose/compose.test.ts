import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker } from '../../../src/core/docker/engine.ts';
import { ROOT } from '../../../src/core/paths.ts';
import { COMPOSE_DIR, composeEnvFile, composeFileName } from '../../../src/stack/compose.ts';
import { DEFAULT_PROJECT } from '../../../src/stack/docker/placement.ts';
import { planStack } from '../../../src/stack/plan.ts';
import { STACK } from '../../../src/stack/definition.ts';
import { generateSecrets, withBackupSecrets } from '../../../src/stack/secrets.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { record } from '../../../src/testing/record.ts';

const FILE = join(COMPOSE_DIR, composeFileName('production'));
/** Compose's own label on everything of the project (the file's containers carry no refstack labels). */
const PROJECT_FILTERS = { label: [`com.docker.compose.project=${DEFAULT_PROJECT}`] };

/** `docker compose` exactly as a user runs it, bounded. */
function compose(args: string[], envFile: string, timeoutMs: number): Promise<{ code: number; out: string; err: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile('docker', ['compose', '-f', FILE, '--env-file', envFile, ...args], { cwd: ROOT, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out, err, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) });
    });
  });
}

async function composeResources() {
  const filters = PROJECT_FILTERS;
  const [containers, networks, volumes] = await Promise.all([docker().listContainers({ all: true, filters }), docker().listNetworks({ filters }), docker().listVolumes({ filters })]);
  return { containers: containers.length, networks: networks.length, volumes: (volumes.Volumes ?? []).length };
}

/** Compose's own error lines first (its progress lines would push them out of a tail), then the tail. */
const failure = (err: string) => [...err.split('\n').filter((l) => /error|failed|denied|in use|active endpoints/i.test(l)), '…', err.slice(-1500)].join('\n');

/**
 * compose/compose.yaml run by Docker Compose v2 itself (the plugin `npm run setup` builds from the Go module
 * proxy): the same images, configuration and health checks as `refstack up`, credentials from an env file.
 */
describeWithDocker('compose/compose.yaml runs under Docker Compose: every service healthy, the API answering through nginx, nothing left after down -v', () => {
  const secrets = withBackupSecrets(generateSecrets());
  const envFile = join(mkdtempSync(join(tmpdir(), 'refstack-compose-')), '.env');
  let occupied = '';

  beforeAll(async () => {
    const version = await new Promise<string>((resolve) => execFile('docker', ['compose', 'version'], (error, out) => resolve(error ? '' : out)));
    expect(version, 'docker compose v2 is installed (npm run setup builds it when missing)').toMatch(/Docker Compose version v2\./);
    // The file's fixed names and ports belong to the default environment: never touch one that runs.
    const names = new Set(planStack({ profile: 'production', services: STACK.map((s) => s.name) }, secrets).instances.map((i) => `/${DEFAULT_PROJECT}-${i.name}`));
    occupied = (await docker().listContainers({ all: true })).flatMap((c) => c.Names).filter((n) => names.has(n)).join(', ');
    writeFileSync(envFile, composeEnvFile(secrets), { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    if (!occupied) await compose(['down', '-v', '--remove-orphans'], envFile, 240_000);
  }, 300_000);

  it('`docker compose up -d --wait` brings every service up healthy, and the API answers through nginx', async () => {
    if (occupied) throw new Error(`not run here: containers named like the default environment exist (${occupied}); stop it with \`refstack down\` first`);
    const up = await compose(['up', '-d', '--wait', '--wait-timeout', '300'], envFile, 420_000);
    record({ id: 'compose.up_seconds', value: up.seconds, unit: 's', note: 'docker compose -f compose/compose.yaml up -d --wait (production profile) from built images' });
    expect(up.code, `docker compose up failed:\n${failure(up.err)}`).toBe(0);
    const ps = (await compose(['ps', '--format', 'json'], envFile, 60_000)).out;
    const services = ps.trim().startsWith('[') ? (JSON.parse(ps) as Array<{ Service: string; State: string; Health: string }>) : ps.trim().split('\n').map((l) => JSON.parse(l) as { Service: string; State: string; Health: string });
    const unhealthy = services.filter((s) => s.State !== 'running' || s.Health !== 'healthy');
    const expected = planStack({ profile: 'production', services: STACK.filter((s) => !('pull' in s.image)).map((s) => s.name) }, secrets).instances.length;
    const figure = record({ id: 'compose.unhealthy_services', value: unhealthy.length, unit: 'services', target: { op: '==', value: 0 }, note: `${services.length} services up (${expected} expected without the laptop profile)` });
    expect(figure.pass, JSON.stringify(unhealthy)).toBe(true);
    expect(services.length).toBe(expected);
    const response = await fetch('http://127.0.0.1:18080/v1/products/1', { headers: { 'x-api-key': secrets.apiKeys[0]!.key }, signal: AbortSignal.timeout(10_000) });
    expect(response.status, await response.text()).toBe(200);
  }, 480_000);

  it('`docker compose stop` stops every service within its grace period (none killed), in dependency order', async () => {
    if (occupied) throw new Error(`not run here: containers named like the default environment exist (${occupied})`);
    const stop = await compose(['stop'], envFile, 240_000);
    record({ id: 'compose.stop_seconds', value: stop.seconds, unit: 's', note: 'docker compose stop of the production profile: dependents first, the pgBackRest repository host after the Postgres members' });
    expect(stop.code, `docker compose stop failed:\n${failure(stop.err)}`).toBe(0);
    const stopped = await Promise.all((await docker().listContainers({ all: true, filters: PROJECT_FILTERS })).map((c) => docker().getContainer(c.Id).inspect()));
    // 137 = 128 + SIGKILL: the process outlived its grace period (a Postgres member's shutdown hung, a PID 1 ignoring SIGTERM).
    const killed = stopped.filter((c) => c.State.ExitCode === 137).map((c) => c.Name.replace(/^\//, ''));
    const figure = record({ id: 'compose.killed_on_stop', value: killed.length, unit: 'containers', target: { op: '==', value: 0 }, note: killed.length ? `killed: ${killed.join(', ')}` : `${stopped.length} containers stopped by their stop signal` });
    expect(figure.pass, `killed after their grace period: ${killed.join(', ')}`).toBe(true);
  }, 300_000);

  it('`docker compose down -v` leaves no container, network or volume of the project', async () => {
    if (occupied) throw new Error(`not run here: containers named like the default environment exist (${occupied})`);
    const down = await compose(['down', '-v', '--remove-orphans'], envFile, 240_000);
    expect(down.code, `docker compose down -v failed:\n${failure(down.err)}`).toBe(0);
    const left = await composeResources();
    const figure = record({ id: 'compose.leftovers', value: left.containers + left.networks + left.volumes, unit: 'resources', target: { op: '==', value: 0 }, note: JSON.stringify(left) });
    expect(figure.pass, JSON.stringify(left)).toBe(true);
  }, 300_000);
});
