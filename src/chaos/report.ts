import { formatTarget } from '../core/results/target.ts';
import type { ExperimentJournal } from './journal.ts';

export interface GameDay {
  runId: string;
  profile: string;
  project: string;
  startedAt: string;
  seconds: number;
  journals: ExperimentJournal[];
}

const W = 860;
const H = 260;
const PAD = { left: 56, right: 56, top: 16, bottom: 34 };

const esc = (text: unknown) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const held = (j: ExperimentJournal) => j.report?.ok === true;

/**
 * The game-day report: one self-contained HTML page (inline CSS and SVG, no script, no external
 * resource). Per experiment: the claim, a timeline plot of what the background client saw (latency
 * percentiles and error rate per second, the fault window shaded, alert notifications and the recovery
 * point marked), the figures against their targets, the steps, and the runbook link.
 */
export function renderGameDay(day: GameDay): string {
  const ok = day.journals.filter(held).length;
  const score = day.journals.length ? ok / day.journals.length : 0;
  const rows = day.journals
    .map((j) => `<tr><td class="${held(j) ? 'ok' : 'miss'}">${held(j) ? 'HELD' : 'NOT HELD'}</td><td><a href="#${esc(j.name)}">${esc(j.name)}</a></td><td>${esc(j.claim)}</td><td>${j.report?.seconds ?? '?'} s</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>refstack game day ${esc(day.runId)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:32px 0 4px;border-top:1px solid #ccd;padding-top:16px}
table{border-collapse:collapse;width:100%;margin:8px 0} td,th{border-bottom:1px solid #e3e6ee;padding:3px 6px;text-align:left;vertical-align:top}
.ok{color:#0a7a2f;font-weight:600} .miss{color:#b3141b;font-weight:600} .muted{color:#5b6475} .score{font-size:28px;font-weight:700}
.legend span{margin-right:14px} svg{background:#fafbfd;border:1px solid #e3e6ee}
</style></head><body>
<h1>Game day — resilience experiments</h1>
<p class="muted">run ${esc(day.runId)} · ${esc(day.profile)} profile · environment ${esc(day.project)} · started ${esc(day.startedAt)} · ${day.seconds} s</p>
<p><span class="score ${score === 1 ? 'ok' : 'miss'}">${ok}/${day.journals.length}</span> experiments held — resilience score <b>${score.toFixed(2)}</b></p>
<table><tr><th></th><th>experiment</th><th>claim</th><th>took</th></tr>
${rows}
</table>
${day.journals.map(section).join('\n')}
</body></html>
`;
}

function section(j: ExperimentJournal): string {
  const figures = (j.report?.figures ?? [])
    .map((f) => `<tr><td class="${f.pass ? 'ok' : 'miss'}">${f.pass ? 'ok' : 'MISS'}</td><td>${esc(f.id)}</td><td>${esc(f.value)} ${esc(f.unit)}</td><td>${f.target ? esc(formatTarget(f.target)) : '<span class="muted">reported</span>'}${f.bound ? ` · plan ${esc(formatTarget(f.bound))}` : ''}</td><td class="muted">${esc(f.note ?? '')}</td></tr>`)
    .join('\n');
  const steps = (j.report?.steps ?? []).map((s) => `<li class="${s.ok ? '' : 'miss'}">t+${s.at.toFixed(1)} s ${esc(s.name)} (${s.seconds.toFixed(1)} s)${s.error ? ` — ${esc(s.error.split('\n')[0])}` : ''}</li>`).join('\n');
  const failures = (j.report?.failures ?? []).map((f) => `<li class="miss">${esc(f.split('\n')[0])}</li>`).join('\n');
  const alerts = j.expectedAlerts
    .map((a) => a.skipped ? `<li>${esc(a.name)} (${esc(a.severity)}): not expected — ${esc(a.skipped)}</li>` : `<li>${esc(a.name)} (${esc(a.severity)}): fired ${a.firedAfter === null ? '<b class="miss">never</b>' : `after ${a.firedAfter.toFixed(1)} s`} (deadline ${a.deadlineSeconds} s)${a.resolvedAfter === null ? '' : `, resolved ${a.resolvedAfter.toFixed(1)} s after the undo`}</li>`)
    .join('\n');
  return `<section id="${esc(j.name)}" data-experiment="${esc(j.name)}">
<h2><span class="${held(j) ? 'ok' : 'miss'}">${held(j) ? 'HELD' : 'NOT HELD'}</span> ${esc(j.title)} <span class="muted">(${esc(j.name)})</span></h2>
<p>${esc(j.claim)}</p>
<p class="muted">runbook: <a href="${esc(j.runbook)}">${esc(j.runbook)}</a> · experiment: ${esc(j.file)}</p>
${plot(j)}
<p class="legend muted"><span style="color:#2456c7">━ p50</span><span style="color:#d4760a">━ p95</span><span style="color:#9b1fb8">━ p99</span><span style="color:#b3141b">▮ error rate</span><span>░ fault window</span><span style="color:#b3141b">┆ alert fired</span><span style="color:#0a7a2f">┆ resolved</span><span style="color:#2456c7">│ recovery point</span></p>
${alerts ? `<h3>Alerts</h3><ul>${alerts}</ul>` : '<p class="muted">No alert is expected of this experiment.</p>'}
${others(j)}
${failures ? `<h3>What failed</h3><ul>${failures}</ul>` : ''}
<h3>Figures</h3><table><tr><th></th><th>figure</th><th>value</th><th>target</th><th>note</th></tr>${figures}</table>
<details><summary>Steps</summary><ol>${steps}</ol></details>
</section>`;
}

/** Notifications of alerts the experiment did not name (the ticks at the plot's top): what else paged meanwhile. */
function others(j: ExperimentJournal): string {
  const expected = new Set(j.expectedAlerts.map((a) => a.name));
  const counts = new Map<string, number>();
  for (const a of j.alertsSeen.filter((x) => !expected.has(x.name) && x.status === 'firing')) counts.set(a.name, (counts.get(a.name) ?? 0) + 1);
  return counts.size ? `<p class="muted">Other alerts notified during the experiment: ${[...counts].map(([n, c]) => `${esc(n)}${c > 1 ? ` ×${c}` : ''}`).join(', ')}</p>` : '';
}

/** The timeline plot as inline SVG: client latency percentiles (left axis, ms) and error rate (right axis, %). */
export function plot(j: ExperimentJournal): string {
  const end = Math.max(10, j.report?.seconds ?? 0, ...j.client.map((c) => c.t + 1));
  const maxMs = Math.max(50, ...j.client.map((c) => c.p99));
  const x = (t: number) => PAD.left + (t / end) * (W - PAD.left - PAD.right);
  const y = (ms: number) => H - PAD.bottom - (Math.min(ms, maxMs) / maxMs) * (H - PAD.top - PAD.bottom);
  const yRate = (r: number) => H - PAD.bottom - r * (H - PAD.top - PAD.bottom);
  const line = (key: 'p50' | 'p95' | 'p99', color: string) =>
    j.client.length ? `<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${j.client.map((c) => `${x(c.t + 0.5).toFixed(1)},${y(c[key]).toFixed(1)}`).join(' ')}"/>` : '';
  const bars = j.client
    .filter((c) => c.failed)
    .map((c) => `<rect x="${x(c.t).toFixed(1)}" y="${yRate(c.failed / c.n).toFixed(1)}" width="${Math.max(1, x(c.t + 1) - x(c.t)).toFixed(1)}" height="${(H - PAD.bottom - yRate(c.failed / c.n)).toFixed(1)}" fill="#b3141b" opacity="0.55"/>`)
    .join('');
  const window = j.faultWindow ? `<rect x="${x(j.faultWindow.from).toFixed(1)}" y="${PAD.top}" width="${Math.max(2, x(j.faultWindow.to) - x(j.faultWindow.from)).toFixed(1)}" height="${H - PAD.top - PAD.bottom}" fill="#f0b429" opacity="0.18"/>` : '';
  const marker = (t: number, color: string, label: string, dash: boolean, row: number) =>
    `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="${color}" stroke-width="1.4"${dash ? ' stroke-dasharray="4 3"' : ''}/><text x="${(x(t) + 3).toFixed(1)}" y="${PAD.top + 11 + row * 12}" font-size="10" fill="${color}">${esc(label)}</text>`;
  // The expected alerts are marked and named; any other notification is a short tick at the top (listed below the plot).
  const expected = new Set(j.expectedAlerts.map((a) => a.name));
  const alertMarks = j.alertsSeen
    .filter((a) => expected.has(a.name))
    .map((a, i) => marker(a.at, a.status === 'firing' ? '#b3141b' : '#0a7a2f', `${a.name} ${a.status}`, true, i % 4))
    .join('');
  const otherTicks = j.alertsSeen
    .filter((a) => !expected.has(a.name))
    .map((a) => `<line x1="${x(a.at).toFixed(1)}" x2="${x(a.at).toFixed(1)}" y1="${PAD.top}" y2="${PAD.top + 6}" stroke="${a.status === 'firing' ? '#b3141b' : '#0a7a2f'}" opacity="0.6"/>`)
    .join('');
  const recovery = j.recoveredAt === null ? '' : marker(j.recoveredAt, '#2456c7', 'recovery point', false, 5);
  const ticks = Array.from({ length: 6 }, (_, i) => (end * i) / 5);
  const axes = [
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" stroke="#99a"/>`,
    ...ticks.map((t) => `<text x="${x(t).toFixed(1)}" y="${H - PAD.bottom + 14}" font-size="10" text-anchor="middle" fill="#556">${Math.round(t)} s</text>`),
    `<text x="${PAD.left - 6}" y="${PAD.top + 8}" font-size="10" text-anchor="end" fill="#556">${Math.round(maxMs)} ms</text>`,
    `<text x="${PAD.left - 6}" y="${H - PAD.bottom}" font-size="10" text-anchor="end" fill="#556">0</text>`,
    `<text x="${W - PAD.right + 6}" y="${PAD.top + 8}" font-size="10" fill="#b3141b">100 %</text>`,
    `<text x="${W / 2}" y="${H - 4}" font-size="10" text-anchor="middle" fill="#556">seconds since the experiment began</text>`,
  ].join('');
  const empty = j.client.length ? '' : `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#889">no client traffic (the stack serves no API)</text>`;
  return `<svg role="img" aria-label="timeline of ${esc(j.name)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">${window}${bars}${line('p50', '#2456c7')}${line('p95', '#d4760a')}${line('p99', '#9b1fb8')}${alertMarks}${otherTicks}${recovery}${axes}${empty}</svg>`;
}
