import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const reports = mkdtempSync(join(tmpdir(), 'refstack-reports-'));

describe('results file', () => {
  let mod: typeof import('../../src/core/results/results.ts');
  beforeAll(async () => {
    process.env.REFSTACK_REPORTS_DIR = reports;
    process.env.REFSTACK_RUN_ID = 'unit-run';
    mod = await import('../../src/core/results/results.ts');
  });

  it('appends records with their verdict and mirrors the run to reports/latest in the documented shape', () => {
    mod.recordResult({ id: 'failover.rto_seconds', value: 7.1, unit: 's', target: { op: '<=', value: 30 }, suite: 'test/x' });
    mod.recordResult({ id: 'failover.lost_acknowledged_writes', value: 2, unit: 'rows', target: { op: '==', value: 0 }, suite: 'test/x' });
    mod.recordResult({ id: 'failover.async_lost_writes', value: 3, unit: 'rows', suite: 'test/x' });
    const file = mod.writeResultsFile({ finished: true, docker: '20.10' });
    const latest = JSON.parse(readFileSync(join(reports, 'latest', 'results.json'), 'utf8'));
    expect(latest).toEqual(file);
    expect(file).toMatchObject({ schema: 1, runId: 'unit-run', host: { docker: '20.10' } });
    expect(typeof file.host.cpus).toBe('number');
    expect(Date.parse(file.startedAt)).not.toBeNaN();
    expect(Date.parse(file.finishedAt ?? '')).not.toBeNaN();
    expect(file.results.map((r) => [r.id, r.target, r.pass])).toEqual([
      ['failover.rto_seconds', '<= 30', true],
      ['failover.lost_acknowledged_writes', '== 0', false],
      ['failover.async_lost_writes', null, true],
    ]);
  });

  it('prints a summary table that names each missed target', () => {
    const table = mod.summaryTable(mod.writeResultsFile({ finished: true }));
    expect(table).toMatch(/FAIL\s+failover\.lost_acknowledged_writes\s+2 rows\s+== 0/);
    expect(table).toMatch(/3 results, 1 missed target\b/);
  });

  it('refuses ids that dashboards could not key on', () => {
    expect(() => mod.recordResult({ id: 'RTO', value: 1, unit: 's', suite: 'x' })).toThrow(/area\.metric_name/);
  });
});

describe('results file with an impossible measurement', () => {
  it('fails a NaN figure and still prints the summary', async () => {
    const mod = await import('../../src/core/results/results.ts');
    const record = mod.recordResult({ id: 'bench.broken_ratio', value: Number.NaN, unit: 'x', suite: 'test/x' });
    expect(record.pass).toBe(false);
    const table = mod.summaryTable(mod.writeResultsFile({ finished: true }));
    expect(table).toMatch(/FAIL\s+bench\.broken_ratio\s+null x/);
  });
});
