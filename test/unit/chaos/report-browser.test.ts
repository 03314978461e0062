import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGameDay } from '../../../src/chaos/report.ts';
import { chromiumMissing, openInChromium } from '../../../src/testing/browser.ts';
import { sampleJournal } from '../../fixtures/chaos/journal.ts';

describe('the game-day report in a real browser (headless Chromium from Debian)', () => {
  it('renders every experiment with a drawn plot, no console error, and a screenshot that is not blank', async () => {
    expect(chromiumMissing(), 'Chromium').toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'refstack-report-'));
    const path = join(dir, 'chaos-report.html');
    writeFileSync(path, renderGameDay({ runId: 'unit', profile: 'test', project: 'chaos', startedAt: 'now', seconds: 80, journals: [sampleJournal('kill-primary', true), sampleJournal('zone-outage', false)] }));
    const page = await openInChromium(path);
    writeFileSync(join(dir, 'screenshot.png'), page.png);
    expect(page.errors).toEqual([]);
    expect(page.dom.sections).toEqual(['kill-primary', 'zone-outage']);
    expect(page.dom.plotted, 'latency polylines drawn (3 per experiment)').toBe(6);
    // A blank page of this size compresses to a few KB; text, tables and plots do not.
    expect(page.png.length).toBeGreaterThan(40_000);
  }, 120_000);
});
