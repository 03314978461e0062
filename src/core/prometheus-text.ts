/**
 * Reads Prometheus' text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/)
 * as a process serves it on /metrics: the harness's before/after counter deltas, and the sample app's tests
 * (sample-app/test/support/metrics.ts); the harness imports none of the app's tests.
 */

/** The sum of a metric's samples whose labels include `labels`: `sampleSum(text, 'queue_failed_total', { stage: 'dead_letter' })`; 0 when absent. */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) total += Number(match[4]);
  }
  return total;
}

/** GET a /metrics URL (5 s timeout); throws naming the URL and status when it does not answer 200. */
export async function scrapeText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`scrape of ${url} answered ${response.status}`);
  return response.text();
}
