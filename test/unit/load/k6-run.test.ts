import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { K6_SCRIPTS } from '../../../src/load/k6-build.ts';
import { ROOT } from '../../../src/core/paths.ts';

const run = (args: string[], path: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'load', 'k6-run.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PATH: path },
  });

describe('npm run load:<name>', { timeout: 60_000 }, () => {
  it('without k6 on the PATH: builds the bundle, says how to install k6, and exits non-zero', () => {
    const result = run(['smoke'], dirname(process.execPath));
    expect(result.status).toBe(127);
    expect(result.stderr).toMatch(/k6 is not installed/);
    expect(result.stderr).toMatch(/k6 run load\/dist\/smoke\.js/);
  });

  it('with k6: runs `k6 run <args> load/dist/<name>.js` and passes its exit code through (99 = threshold crossed)', () => {
    const bin = mkdtempSync(join(tmpdir(), 'refstack-fake-k6-'));
    const log = join(bin, 'args.log');
    writeFileSync(join(bin, 'k6'), `#!/bin/sh\n[ "$1" = version ] && exit 0\necho "$@" > ${log}\nexit 99\n`);
    chmodSync(join(bin, 'k6'), 0o755);
    const result = run(['load', '--quiet'], `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`);
    expect(result.status).toBe(99);
    expect(readFileSync(log, 'utf8').trim()).toBe('run --quiet load/dist/load.js');
  });

  it('rejects an unknown script name with the list of scripts', () => {
    const result = run(['nope'], dirname(process.execPath));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/one of smoke, load, stress, spike, soak/);
  });
});

describe('staging load workflow', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'staging-load.yml'), 'utf8')) as {
    on: { workflow_dispatch: { inputs: { script: { options: string[] } } } };
    jobs: { k6: { steps: Array<{ uses?: string; run?: string; env?: Record<string, string>; if?: string; with?: Record<string, string> }> } };
  };
  const steps = workflow.jobs.k6.steps;

  it('offers exactly the k6 scripts, installs k6 with grafana/setup-k6-action and runs the bundle through npm run load:<script>', () => {
    expect(workflow.on.workflow_dispatch.inputs.script.options.sort()).toEqual([...K6_SCRIPTS].sort());
    expect(steps.some((s) => s.uses?.startsWith('grafana/setup-k6-action@'))).toBe(true);
    const run = steps.find((s) => s.run?.includes('npm run "load:$SCRIPT"'));
    expect(run?.run).toMatch(/exit "\$code"/);
  });

  it('takes BASE_URL and keys from secrets, opts into staging explicitly, and uploads the summary even on failure', () => {
    const run = steps.find((s) => s.run?.includes('npm run'))!;
    expect(run.env).toMatchObject({ BASE_URL: '${{ secrets.STAGING_BASE_URL }}', API_KEYS: '${{ secrets.STAGING_API_KEYS }}', REFSTACK_STAGING_LOAD: '1' });
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toBe('always()');
    expect(run.env!.SUMMARY_PATH!.startsWith(upload.with!.path!)).toBe(true);
  });
});
