import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { cliReference } from '../../src/cli/options.ts';
import { ROOT } from '../../src/core/paths.ts';

/** An engine address where nothing listens: what a machine looks like before `npm run setup`. */
const NO_ENGINE = { ...process.env, DOCKER_HOST: 'unix:///tmp/refstack-no-such-engine.sock' };

function refstack(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, ['bin/refstack.js', ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Each case starts a Node process (tsx): seconds each on a loaded 2-core machine.
describe('refstack CLI', { timeout: 60_000 }, () => {
  it('doctor exits 1 and prints the exact fix when the Docker engine is not running', () => {
    const r = refstack(['doctor'], NO_ENGINE);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL\s+docker engine\s+not reachable at unix:\/\/\/tmp\/refstack-no-such-engine\.sock/);
    expect(r.out).toMatch(/fix: npm run setup/);
  });

  it('doctor --json gives scripts the same verdict', () => {
    const r = refstack(['doctor', '--json'], NO_ENGINE);
    const report = JSON.parse(r.out) as { ok: boolean; checks: Array<{ name: string; ok: boolean; fix?: string }> };
    expect(r.code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'docker engine')).toMatchObject({ ok: false, fix: expect.stringMatching(/npm run setup/) });
    expect(report.checks.find((c) => c.name === 'node')).toMatchObject({ ok: true });
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['down', '--everything'], /unknown option '--everything'/],
    [['images', 'delete'], /unknown command 'delete'/],
    [['up', '--profile', 'fast'], /argument 'fast' is invalid. Allowed choices are test, production/],
    [['up', '--project', 'Bad_Name'], /project name "Bad_Name" must be/],
    [['up', '--replicas', 'sample-api'], /"sample-api" is not service=count/],
    [['drill'], /name a drill or use --all: cluster-restore, crash-postgres, isolate-primary, kill-primary/],
    [['drill', 'kill-everything'], /unknown drill "kill-everything": use one of cluster-restore, crash-postgres/],
    [['chaos', 'run'], /name experiments, or use --all or --every-run/],
    [['chaos', 'run', 'kill-everything'], /unknown experiment "kill-everything": use one of /],
    [['contract'], /name a cell or use --all \(refstack contract --list shows them\): postgres-primary-slow/],
    [['contract', 'postgres-primary-explodes'], /unknown cell "postgres-primary-explodes": refstack contract --list shows them/],
    [['contract', 'redis-slow'], /cell redis-slow is not run here: Redis is reached through Sentinel/],
    [['chaos', 'run', '--file', 'test/fixtures/chaos/unknown-fault.yaml'], /unknown-fault\.yaml is not a valid experiment:(?=[\s\S]*missing tolerance)(?=[\s\S]*unknown fault "explode")(?=[\s\S]*unknown service "postgress")/],
  ])('refstack %j is a usage error (exit 2) that says what is allowed', (args, message) => {
    const r = refstack(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/run `refstack help <command>`/);
  });

  it("the README's CLI block is the program's own reference", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- cli:start -->\n```\n([\s\S]*?)\n```\n<!-- cli:end -->/.exec(readme)?.[1];
    expect(block, 'README.md has a CLI block between <!-- cli:start --> and <!-- cli:end -->').toBeDefined();
    expect(block).toBe(cliReference(buildProgram()));
  });

  it('`refstack help <command>` prints its options', () => {
    const r = refstack(['help', 'up']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--replicas <service=count>/);
  });

  it('commands that need the engine say so and how to start it', () => {
    const r = refstack(['status'], NO_ENGINE);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the Docker engine is not reachable.*\n\s+fix: npm run setup/);
  });
});

describe('integration suites without an engine', { timeout: 150_000 }, () => {
  const vitest = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'integration', 'test/integration/smoke.test.ts'], {
      env: { ...NO_ENGINE, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('fail with doctor\'s message and fix', () => {
    const r = vitest({ REFSTACK_ALLOW_SKIP: '' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/refstack integration suites need a Docker engine[\s\S]*fix: npm run setup/);
  });

  it('are skipped visibly, with the reason, when the user sets REFSTACK_ALLOW_SKIP=1', () => {
    const r = vitest({ REFSTACK_ALLOW_SKIP: '1' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/SKIPPING integration suites \(REFSTACK_ALLOW_SKIP=1\)/);
    expect(r.stdout).toMatch(/1 skipped/);
  });
});
