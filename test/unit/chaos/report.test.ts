import { describe, expect, it } from 'vitest';
import { clientSeconds } from '../../../src/chaos/journal.ts';
import { renderGameDay } from '../../../src/chaos/report.ts';
import { sampleJournal } from '../../fixtures/chaos/journal.ts';

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
