import { describe, expect, it } from 'vitest';
import type { ExperimentJournal } from '../../../src/chaos/journal.ts';
import { clientSeconds } from '../../../src/chaos/journal.ts';
import { renderGameDay } from '../../../src/chaos/report.ts';

export function sampleJournal(name: string, ok: boolean): ExperimentJournal {
  const samples = Array.from({ length: 400 }, (_, i) => ({ t: i * 100, kind: 'read' as const, ms: i > 100 && i < 200 ? 400 + (i % 7) * 30 : 8 + (i % 5), status: i === 150 ? 502 : 200 }));
  return {
    name,
    title: `Title of ${name}`,
    claim: `the claim of ${name} <with markup & such>`,
    runbook: 'monitoring/RUNBOOKS.md#databasedown',
    file: `chaos/experiments/${name}.yaml`,
    profile: 'test',
    project: 'chaos',
    startedAt: '2026-01-01T00:00:00.000Z',
    probes: [],
    faults: [{ step: 'method[0] kill', targets: ['pg1'], detail: 'SIGKILL pg1', injectedAt: 10, undoneAt: 20 }],
    faultWindow: { from: 10, to: 20 },
    expectedAlerts: [{ name: 'DatabaseDown', severity: 'high', deadlineSeconds: 13, firedAfter: 6.2, resolvedAfter: 4.1 }],
    alertsSeen: [
      { name: 'DatabaseDown', receiver: 'page', status: 'firing', at: 16.2 },
      { name: 'DatabaseDown', receiver: 'page', status: 'resolved', at: 24.1 },
    ],
    signals: [],
    recoveredAt: 27,
    client: clientSeconds(samples),
    report: {
      name,
      title: `Title of ${name}`,
      claim: 'c',
      profile: 'test',
      project: 'chaos',
      ok,
      failures: ok ? [] : ['chaos.x.client_failed_reads = 1 requests misses == 0'],
      steps: [{ name: 'the steady state holds before the method', at: 0, seconds: 2, ok: true }],
      timeline: [],
      figures: [{ id: `chaos.${name}.recovery_seconds`, value: 7, unit: 's', target: { op: '<=', value: 60 }, bound: null, pass: true }],
      rollbacks: [],
      seconds: 40,
    },
  };
}

describe('the game-day report', () => {
  it('is one self-contained page: every experiment with its plot, figures and runbook link, no script, markup escaped', () => {
    const html = renderGameDay({ runId: 'r1', profile: 'test', project: 'chaos', startedAt: 'now', seconds: 80, journals: [sampleJournal('kill-primary', true), sampleJournal('zone-outage', false)] });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html.match(/<section /g)).toHaveLength(2);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('1/2</span> experiments held');
    expect(html).toContain('&lt;with markup &amp; such&gt;');
    expect(html).toContain('href="monitoring/RUNBOOKS.md#databasedown"');
    expect(html).toContain('DatabaseDown firing');
  });

  it('aggregates the client per second: counts, failures and latency percentiles', () => {
    const seconds = clientSeconds([
      { t: 100, kind: 'read', ms: 10, status: 200 },
      { t: 900, kind: 'write', ms: 30, status: 503 },
      { t: 1500, kind: 'read', ms: 5, status: 200 },
    ]);
    expect(seconds).toEqual([
      { t: 0, n: 2, failed: 1, p50: 10, p95: 30, p99: 30 },
      { t: 1, n: 1, failed: 0, p50: 5, p95: 5, p99: 5 },
    ]);
  });
});
