import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenericContainer } from 'testcontainers';
import { expect, it } from 'vitest';
import { countByLabels, removeRun, removeStaleTestRuns } from '../../src/core/docker/cleanup.ts';
import { docker } from '../../src/core/docker/engine.ts';
import { LABEL, newRunId, runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';
import { describeWithDocker } from '../../src/testing/integration.ts';

interface Marker {
  container: string;
  network: string;
  volume: string;
}

function runFixture(mode: 'fail' | 'hang', entry: 'vitest' | 'runner') {
  const runId = `fixture-${newRunId()}`;
  const dir = mkdtempSync(join(tmpdir(), 'refstack-fixture-'));
  const marker = join(dir, 'marker.json');
  const config = ['--config', 'test/fixtures/vitest.fixtures.config.ts'];
  const args = entry === 'vitest' ? ['node_modules/vitest/vitest.mjs', 'run', ...config] : ['--import', 'tsx', 'scripts/run-tests.ts', ...config];
  const env: NodeJS.ProcessEnv = { ...process.env, REFSTACK_RUN_ID: runId, REFSTACK_FIXTURE_MODE: mode, REFSTACK_FIXTURE_MARKER: marker, REFSTACK_REPORTS_DIR: dir };
  delete env.REFSTACK_RUN_PID;
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { runId, marker, child, exited, output: () => output };
}

async function waitFor(path: string, timeoutMs: number, output: () => string): Promise<Marker> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path) || readFileSync(path, 'utf8') === '') {
    if (Date.now() > deadline) throw new Error(`${path} was not written within ${timeoutMs} ms; fixture output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return JSON.parse(readFileSync(path, 'utf8')) as Marker;
}

async function stillThere(marker: Marker): Promise<string[]> {
  const left: string[] = [];
  await docker().getContainer(marker.container).inspect().then(() => left.push(`container ${marker.container}`), () => undefined);
  await docker().getNetwork(marker.network).inspect().then(() => left.push(`network ${marker.network}`), () => undefined);
  await docker().getVolume(marker.volume).inspect().then(() => left.push(`volume ${marker.volume}`), () => undefined);
  return left;
}

describeWithDocker('cleanup: a run leaves nothing behind, however it ends', () => {
  it('a suite that fails midway leaves no container, network or volume of its run', async () => {
    const run = runFixture('fail', 'vitest');
    const code = await run.exited;
    expect(code, run.output()).not.toBe(0);
    const marker = await waitFor(run.marker, 1_000, run.output);
    expect(marker.container).toMatch(/^[0-9a-f]{64}$/);
    expect(await stillThere(marker)).toEqual([]);
    expect(await countByLabels([`${LABEL.run}=${run.runId}`])).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it('Ctrl-C during `npm test` stops the run and removes what it had started', async () => {
    const run = runFixture('hang', 'runner');
    try {
      const marker = await waitFor(run.marker, 120_000, run.output);
      expect(await stillThere(marker)).toHaveLength(3);
      run.child.kill('SIGINT');
      const code = await run.exited;
      expect(code, run.output()).toBe(130);
      expect(await stillThere(marker)).toEqual([]);
    } finally {
      run.child.kill('SIGKILL');
      await removeRun(run.runId);
    }
  });

  it('leftovers of a crashed run are removed at the start of the next, and a live run is left alone', async () => {
    const deadPid = await new Promise<number>((resolve) => {
      const child = spawn('true');
      child.on('exit', () => resolve(child.pid ?? 0));
    });
    const crashedRun = `crashed-${newRunId()}`;
    const liveRun = `live-${newRunId()}`;
    const start = (labels: Record<string, string>) =>
      new GenericContainer(imageRef('postgres')).withLabels(labels).withCommand(['sleep', 'infinity']).start();
    const crashed = await start({ ...runLabels('test', crashedRun), [LABEL.pid]: String(deadPid) });
    const live = await start({ ...runLabels('test', liveRun), [LABEL.pid]: String(process.pid) });
    try {
      await removeStaleTestRuns();
      expect(await countByLabels([`${LABEL.run}=${crashedRun}`])).toMatchObject({ containers: 0 });
      expect(await countByLabels([`${LABEL.run}=${liveRun}`])).toMatchObject({ containers: 1 });
    } finally {
      await crashed.stop().catch(() => undefined);
      await live.stop();
    }
  });
});
