import { sleep } from '../../src/core/poll.ts';
import { detail } from '../../src/core/progress.ts';
import type { AlertRule } from '../../src/core/monitoring.ts';
import { targets } from '../../src/core/targets.ts';
import type { Outcome } from './load.ts';
import type { Monitoring, Sample } from './observe.ts';
import { longestWindowSeconds } from './scenario.ts';

/** The families whose alerts describe the machine itself: CPU, memory, disk. */
const HOST_FAMILIES = new Set(['cpu', 'memory', 'disk']);

/**
 * A host condition: an alert of a machine family on the host's own view (node_exporter, job `node`).
 * Other work on the machine (a build, a full disk) causes those truthfully; a suite reports them, with
 * their value, and neither waits for them nor counts them as false.
 */
export function isHostCondition(labels: Record<string, string>, rules: ReadonlyMap<string, AlertRule>): boolean {
  const rule = rules.get(labels.alertname ?? '');
  return labels.job === 'node' && rule !== undefined && HOST_FAMILIES.has(rule.family);
}

const key = (labels: Record<string, string>) =>
  `${labels.alertname}{${Object.entries(labels)
    .filter(([k]) => !['alertname', 'alertstate', 'severity', 'family', '__name__'].includes(k))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** Host conditions active now, each with the value its rule's expression has for it ("DiskUsageHigh{…} = 0.78"). */
export async function hostConditions(monitoring: Monitoring, rules: ReadonlyMap<string, AlertRule>): Promise<string[]> {
  const active = (await monitoring.query('ALERTS')).filter((a) => isHostCondition(a.metric, rules));
  return Promise.all(
    active.map(async (a) => {
      const rule = rules.get(a.metric.alertname!)!;
      const values: Sample[] = await monitoring.query(rule.expr).catch(() => []);
      const mine = values.find((v) => Object.entries(v.metric).every(([k, val]) => k === '__name__' || a.metric[k] === val));
      return `${key(a.metric)} ${a.metric.alertstate} = ${mine ? Number(mine.value[1]).toFixed(3) : '?'}`;
    }),
  );
}

export interface QuietReport {
  /** Alerts that fired (in Prometheus, or notified) during the window and are not host conditions. */
  falseAlerts: string[];
  /** Host conditions seen during the window, with their values. */
  hostConditions: string[];
  /** Per target instance, the errors of its failed scrapes seen during the window. */
  scrapeErrors: Map<string, Set<string>>;
  /** When each false alert was first seen firing, unix seconds. */
  firstSeen: Map<string, number>;
  samples: number;
}

/**
 * Watches for `seconds`: every `everySeconds` it reads Prometheus' firing alerts and, at the end, every
 * notification the alert receiver got since the window began. Pending alerts do not count; firing ones do.
 */
export async function watchQuiet(monitoring: Monitoring, rules: ReadonlyMap<string, AlertRule>, seconds: number, everySeconds = 5): Promise<QuietReport> {
  const from = Date.now() / 1000;
  const end = performance.now() + seconds * 1000;
  const falseAlerts = new Set<string>();
  const host = new Set<string>();
  const scrapeErrors = new Map<string, Set<string>>();
  const firstSeen = new Map<string, number>();
  let samples = 0;
  detail(`watching ${seconds} s for any alert firing (every ${everySeconds} s)`);
  while (performance.now() < end) {
    const firing = await monitoring.query('ALERTS{alertstate="firing"}');
    samples += 1;
    for (const a of firing) {
      if (isHostCondition(a.metric, rules)) host.add(key(a.metric));
      else if (!falseAlerts.has(key(a.metric))) {
        falseAlerts.add(key(a.metric));
        firstSeen.set(key(a.metric), Date.now() / 1000);
      }
    }
    for (const condition of await hostConditions(monitoring, rules)) host.add(condition.replace(/ (pending|firing) = .*$/, ''));
    for (const target of (await monitoring.targets()).filter((x) => x.health !== 'up')) {
      const instance = target.labels.instance ?? '?';
      scrapeErrors.set(instance, (scrapeErrors.get(instance) ?? new Set()).add(target.lastError));
    }
    await sleep(Math.min(everySeconds * 1000, Math.max(0, end - performance.now())));
  }
  for (const e of await monitoring.notifications(from)) {
    if (e.status !== 'firing') continue;
    if (isHostCondition(e.labels, rules)) host.add(key(e.labels));
    else {
      falseAlerts.add(key(e.labels));
      if (!firstSeen.has(key(e.labels))) firstSeen.set(key(e.labels), e.at);
    }
  }
  return { falseAlerts: [...falseAlerts].sort(), hostConditions: [...host].sort(), scrapeErrors, firstSeen, samples };
}

/** The worst share of bad requests in any `windowMs` sliding window between `from` and `to` (performance.now() times). */
export function worstShare(outcomes: readonly Outcome[], from: number, to: number, windowMs: number, isBad: (o: Outcome) => boolean): number {
  const inside = outcomes.filter((o) => o.endedAt >= from && o.endedAt <= to).sort((a, b) => a.endedAt - b.endedAt);
  let worst = 0;
  let start = 0;
  let bad = 0;
  for (let end = 0; end < inside.length; end++) {
    if (isBad(inside[end]!)) bad += 1;
    while (inside[end]!.endedAt - inside[start]!.endedAt > windowMs) if (isBad(inside[start++]!)) bad -= 1;
    const count = end - start + 1;
    // A share from a handful of requests says nothing.
    if (count >= 20) worst = Math.max(worst, bad / count);
  }
  return worst;
}

/**
 * What the suite's own clients saw of the API during a window, per alert family they can confirm: the
 * worst share of slow or failed requests in any 10 s window (the test profile's longest burn window),
 * and the budget that share is judged by (src/core/targets.ts). An alert of such a family is true when
 * the clients saw the same thing: an API really slowed down by a machine busy with other work is not
 * a false page. Returns family → evidence, for the families the clients confirm.
 */
export function confirmedByClients(outcomes: readonly Outcome[], from: number, to: number): Map<string, string> {
  const windowMs = 10_000;
  const slowBound = targets.plan.apiLatencyP95Ms;
  const latencyBudget = 1 - targets.alertRules.apiLatencyQuantile;
  const failed = (o: Outcome) => o.status === 0 || o.status >= 500;
  const checks: Array<{ families: string[]; share: number; budget: number; what: string }> = [
    { families: ['slo-latency'], share: worstShare(outcomes, from, to, windowMs, (o) => o.ms > slowBound), budget: latencyBudget, what: `slower than ${slowBound} ms` },
    { families: ['api-latency'], share: worstShare(outcomes, from, to, windowMs, (o) => o.ms > targets.alertRules.apiLatencyHighSeconds * 1000), budget: latencyBudget, what: `slower than ${targets.alertRules.apiLatencyHighSeconds} s` },
    // A query slower than the slow-query bound makes its request at least that slow.
    { families: ['database-latency'], share: worstShare(outcomes, from, to, windowMs, (o) => o.ms > targets.sampleApp.slowQuerySeconds * 1000), budget: latencyBudget, what: `slower than the ${targets.sampleApp.slowQuerySeconds} s slow-query bound` },
    { families: ['slo-availability', 'api-errors'], share: worstShare(outcomes, from, to, windowMs, failed), budget: 1 - targets.plan.availability, what: 'failed or 5xx' },
    // The API names where it answered each read (X-Read-Source): a read not answered from the cache was a miss, whatever Prometheus says.
    { families: ['cache'], share: worstShare(outcomes.filter((o) => o.read), from, to, windowMs, (o) => o.source !== 'cache'), budget: targets.alertRules.cacheMissRatio, what: 'answered without the cache (product reads, by X-Read-Source)' },
  ];
  const confirmed = new Map<string, string>();
  for (const c of checks) {
    if (c.share <= c.budget) continue;
    for (const f of c.families) confirmed.set(f, `clients saw ${(c.share * 100).toFixed(1)} % of requests ${c.what} in a 10 s window (budget ${(c.budget * 100).toFixed(2)} %)`);
  }
  if (confirmed.has('cache')) confirmed.set('cache', `${confirmed.get('cache')!}; the window's product reads by answer: ${readAnswers(outcomes, from, to)}`);
  return confirmed;
}

/** Product reads between `from` and `to` by where they were answered (X-Read-Source), or by status when no source was named: "cache 2900, replica 310, 404 180". */
export function readAnswers(outcomes: readonly Outcome[], from: number, to: number): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    if (!o.read || o.endedAt < from || o.endedAt > to) continue;
    const answer = o.source ?? (o.status === 0 ? 'no answer' : String(o.status));
    counts.set(answer, (counts.get(answer) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
}

/**
 * The cache family, confirmed by the app's own account of its lookups: when most misses in the `seconds`
 * before `atUnixSeconds` (when the alert was first seen firing) were lookups that failed (Redis unreachable,
 * too slow for its command timeout, or its breaker open: cache_degraded_total), the cache really did not serve
 * them. Returns the evidence, or undefined with what was found (for the false alert's description).
 */
export async function cacheFailureEvidence(monitoring: Monitoring, seconds: number, atUnixSeconds?: number): Promise<{ evidence?: string; found: string }> {
  const total = async (metric: string) => Number((await monitoring.query(`sum(increase(${metric}[${seconds}s]))`, atUnixSeconds))[0]?.value[1] ?? 0);
  const [hits, misses, failed] = [await total('cache_hits_total'), await total('cache_misses_total'), await total('cache_degraded_total')];
  const redis = await redisAccount(monitoring, atUnixSeconds);
  // Per API instance, so a view that disagrees with the clients shows where: a process change, a scrape gap.
  const perInstance = async (expr: string) => (await monitoring.query(expr, atUnixSeconds).catch(() => [])).map((s) => `${s.metric.instance}=${Number(s.value[1]).toFixed(0)}`).join(' ');
  const instances = `hits ${await perInstance(`sum by (instance) (increase(cache_hits_total[${seconds}s]))`)}, misses ${await perInstance(`sum by (instance) (increase(cache_misses_total[${seconds}s]))`)}, scrapes ${await perInstance(`count_over_time(up{job="sample-api"}[${seconds}s])`)}, process changes ${await perInstance(`changes(process_start_time_seconds{job="sample-api"}[${REDIS_LOOKBACK_SECONDS}s])`)}`;
  const found = `${Math.round(misses)} misses of ${Math.round(hits + misses)} lookups in the ${seconds} s before (${instances}), ${Math.round(failed)} of them failed lookups (cache_degraded_total); Redis in the ${REDIS_LOOKBACK_SECONDS} s before: ${redis.found}`;
  if (misses > 0 && failed / misses > 0.5) return { evidence: `${found}: Redis timed out or its breaker was open`, found };
  return redis.lost ? { evidence: `${found}: the cache really lost its entries (${redis.lost})`, found } : { found };
}

const REDIS_LOOKBACK_SECONDS = 60;

/**
 * Redis's own account (redis_exporter) of the minute before a cache alert: per instance its role(s), most
 * keys (db0), the largest fall within 3 s beyond its expiries, whether it restarted (no persistence here: a restarted master is
 * empty) and keys expired. `lost` says why the entries were gone when a master restarted or lost more than
 * half its keys at once: a miss storm that really happened, not a false page. A failover alone is not
 * that (the promoted replica has the keys).
 */
async function redisAccount(monitoring: Monitoring, at?: number): Promise<{ found: string; lost?: string }> {
  const w = `[${REDIS_LOOKBACK_SECONDS}s]`;
  const byInstance = async (expr: string) => new Map((await monitoring.query(expr, at).catch(() => [])).map((s) => [s.metric.instance ?? '?', Number(s.value[1])]));
  const [maxKeys, biggestFall, minUptime, expired] = await Promise.all([
    byInstance(`max_over_time(redis_db_keys{db="db0"}${w})`),
    // The largest fall within 3 s not accounted for by expiry (keys expiring together are the app's doing,
    // not a loss): a restart or a flush takes them all at once.
    byInstance(`max_over_time((-delta(redis_db_keys{db="db0"}[3s]) - increase(redis_expired_keys_total[3s]))${w.replace(']', ':1s]')})`),
    byInstance(`min_over_time(redis_uptime_in_seconds${w})`),
    byInstance(`increase(redis_expired_keys_total${w})`),
  ]);
  const roles = new Map<string, Set<string>>();
  for (const s of await monitoring.query(`count_over_time(redis_instance_info${w})`, at).catch(() => [])) {
    const instance = s.metric.instance ?? '?';
    roles.set(instance, (roles.get(instance) ?? new Set()).add(s.metric.role ?? '?'));
  }
  // The role at the alert: an old master restarted after a failover comes back a replica, and lost nothing.
  const masterNow = new Set((await monitoring.query('redis_instance_info{role="master"}', at).catch(() => [])).map((s) => s.metric.instance ?? '?'));
  if (!roles.size) return { found: 'no redis_exporter series' };
  const lost: string[] = [];
  const parts = [...roles].map(([instance, seen]) => {
    const master = seen.has('master');
    const restarted = (minUptime.get(instance) ?? Infinity) < REDIS_LOOKBACK_SECONDS;
    const [most, fall] = [maxKeys.get(instance) ?? 0, Math.max(0, Math.round(biggestFall.get(instance) ?? 0))];
    if (masterNow.has(instance) && restarted) lost.push(`${instance} restarted and is the master`);
    if (master && most > 0 && fall > most / 2) lost.push(`${instance} lost ${fall} of its ${most} keys within 3 s`);
    return `${instance} ${[...seen].join(' and ')} (at most ${most} keys, largest fall ${fall} in 3 s${restarted ? ', restarted' : ''}, ${Math.round(expired.get(instance) ?? 0)} expired)`;
  });
  return { found: parts.join('; '), ...(lost.length ? { lost: lost.join('; ') } : {}) };
}

export interface QuietVerdict {
  /** Fired, not a host condition and not confirmed by clients or the app: false pages. */
  falseAlerts: string[];
  /** Fired and confirmed, each with its evidence. */
  confirmed: string[];
  /** Host conditions with their values now (or as seen during the window). */
  host: string[];
  samples: number;
}

/**
 * The quiet window's verdict: watches for `seconds` ({@link watchQuiet}), then sorts what fired into host
 * conditions, alerts the clients' outcomes (`outcomes`, since the window began) or the app's own cache
 * account confirm, and false alerts.
 */
export async function judgeQuiet(monitoring: Monitoring, rules: ReadonlyMap<string, AlertRule>, seconds: number, outcomes: () => readonly Outcome[]): Promise<QuietVerdict> {
  const from = performance.now();
  const report = await watchQuiet(monitoring, rules, seconds);
  const confirmed = confirmedByClients(outcomes(), from, performance.now());
  const familyOf = (alert: string) => rules.get(alert.split('{')[0]!)?.family ?? '';
  // The cache's own account, read around the moment each cache alert was first seen firing, over its rule's window (+ a scrape of slack).
  const cacheAccount = new Map<string, { evidence?: string; found: string }>();
  for (const alert of report.falseAlerts.filter((a) => familyOf(a) === 'cache')) {
    const rule = rules.get(alert.split('{')[0]!)!;
    cacheAccount.set(alert, await cacheFailureEvidence(monitoring, Math.max(5, longestWindowSeconds(rule.expr)) * 2, report.firstSeen.get(alert)));
  }
  const host = await hostConditions(monitoring, rules);
  const evidence = (alert: string) => cacheAccount.get(alert)?.evidence ?? confirmed.get(familyOf(alert)) ?? starvedScrape(alert, report);
  const described = (alert: string) => (cacheAccount.has(alert) ? `${alert} (${cacheAccount.get(alert)!.found}; the suite's product reads in the window by answer: ${readAnswers(outcomes(), from, performance.now())})` : alert);
  return {
    falseAlerts: report.falseAlerts.filter((a) => !evidence(a)).map(described),
    confirmed: report.falseAlerts.filter((a) => evidence(a)).map((a) => `${a}: ${evidence(a)}`),
    host: host.length ? host : report.hostConditions,
    samples: report.samples,
  };
}

const TIMEOUT = /deadline exceeded|timeout/i;

/**
 * A scrape-health alert (or DatabaseDown through its `up == 0`) whose every failed scrape in the window
 * timed out while the host's own CPU condition held: the target was there but the saturated machine did
 * not let it (or Prometheus) answer within the scrape timeout. Prometheus really was blind, and the
 * reason is the machine. A refused connection or an unknown host is never explained this way.
 */
function starvedScrape(alert: string, report: QuietReport): string | undefined {
  const instance = /instance="([^"]+)"/.exec(alert)?.[1];
  const errors = instance ? [...(report.scrapeErrors.get(instance) ?? [])] : [];
  const hostBusy = report.hostConditions.some((h) => h.startsWith('CpuUsageHigh'));
  if (!hostBusy || !errors.length || !errors.every((e) => TIMEOUT.test(e))) return undefined;
  return `every failed scrape of ${instance} timed out (${[...new Set(errors)].join('; ')}) while the host's CPU was above its threshold`;
}
