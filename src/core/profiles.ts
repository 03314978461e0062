/**
 * Timing profiles: every timing of the stack (Patroni, HAProxy, Sentinel, archiving, Prometheus,
 * Alertmanager) in one object per profile, and the promises each profile can keep, derived from those
 * timings. Drills and suites judge a measured figure against its profile's promise and the plan's
 * bound (phase12-plan.md, "Performance Targets": recovery time < 1 h, recovery point < 5 min).
 *
 * `test`: the shortest timings Patroni documents as safe (ttl >= 20, loop_wait >= 1, retry_timeout >= 3,
 * loop_wait + 2 * retry_timeout <= ttl; docs/dynamic_configuration.rst), fast HAProxy checks and 1 s
 * monitoring. `production`: Patroni's defaults, the health-check settings of Patroni's sample
 * haproxy.cfg, Sentinel's documented 5 s down-after and minute-scale monitoring.
 */
export interface PatroniTiming {
  /** Leader lease in seconds: a dead leader is replaced only after it expires. */
  ttl: number;
  /** Seconds between HA loop runs. */
  loopWait: number;
  /** Seconds a DCS or Postgres operation is retried before the leader demotes itself. */
  retryTimeout: number;
  /** Seconds a crashed primary may take to restart before Patroni fails over instead. */
  primaryStartTimeout: number;
}

export interface ProxyTiming {
  /** Health-check interval while a server's state is stable. */
  interMs: number;
  /** Interval while a server is changing state (after a first failed or passed check). */
  fastInterMs: number;
  /** Interval for a server that is down. */
  downInterMs: number;
  /** Consecutive failed checks before a server is marked down. */
  fall: number;
  /** Consecutive passed checks before a server is marked up. */
  rise: number;
  /** Time a single check may take. */
  checkTimeoutMs: number;
}

export interface BackupTiming {
  /** Postgres archive_timeout: the longest a written WAL segment waits before it is archived (bounds the RPO). */
  archiveTimeoutSeconds: number;
  /** The repository host takes a backup this often (incremental in repository 1, differential in 2; full when none is newer than `fullEverySeconds`). */
  intervalSeconds: number;
  fullEverySeconds: number;
}

export interface SentinelTiming {
  /** Milliseconds without a valid reply before a Sentinel calls the master subjectively down. */
  downAfterMs: number;
  /** Sentinel's failover-timeout: how long a failover may take before another is tried. */
  failoverTimeoutMs: number;
  /** Sentinels that must agree the master is down before a failover; a majority of the three (Redis's sentinel docs, "Quorum"). */
  quorum: number;
  /**
   * `min-replicas-max-lag` with `min-replicas-to-write 1`: a master that has heard from no replica for this long
   * refuses writes (NOREPLICAS), which bounds what an isolated old master accepts and then loses.
   */
  minReplicasMaxLagSeconds: number;
}

export interface BrokerTiming {
  /**
   * Erlang's net_ticktime: a RabbitMQ node unreachable for 0.75–1.25 times this is declared down by its
   * peers, which starts pause_minority on a cut-off node (RabbitMQ's "Net Tick Time" guide; Erlang default 60).
   */
  netTicktimeSeconds: number;
}

export type Severity = 'high' | 'medium' | 'low';

/** Monitoring timings; alert thresholds never differ between profiles (they live in targets.ts). */
export interface MonitoringTiming {
  name: ProfileName;
  scrapeInterval: string;
  evaluationInterval: string;
  scrapeTimeout: string;
  /** `for` of an alert, by severity. */
  forBySeverity: Record<Severity, string>;
  /** The rate() window of the threshold alerts. */
  rateWindow: string;
  /** A burn-rate window of the SLO alerts, given in production seconds. */
  window(productionSeconds: number): string;
  alertmanager: { groupWait: string; groupInterval: string; repeatInterval: string };
}

export type ProfileName = 'test' | 'production';

export interface Profile {
  name: ProfileName;
  summary: string;
  patroni: PatroniTiming;
  proxy: ProxyTiming;
  backup: BackupTiming;
  sentinel: SentinelTiming;
  broker: BrokerTiming;
  monitoring: MonitoringTiming;
  /** Docker health-check interval of every service (the harness polls faster while starting one). */
  healthcheckIntervalSeconds: number;
  /** Log indices older than this (by creation time) are deleted, checked every `intervalSeconds` (services/log-shipper). */
  logRetention: { seconds: number; intervalSeconds: number };
}

export const PATRONI_MINIMUMS = { ttl: 20, loopWait: 1, retryTimeout: 3 } as const;

/**
 * Burn-rate windows shrink by this factor in the test profile (3 days → 10 s), never below
 * MIN_TEST_WINDOW_SECONDS. Every short window then spans 5 s, so a page and the ticket it inhibits
 * resolve in the same evaluation; the window arithmetic itself is promtool-tested at production size.
 */
export const TEST_WINDOW_SCALE = 25_920;
const MIN_TEST_WINDOW_SECONDS = 5;

const production: Profile = {
  name: 'production',
  summary: "Patroni's defaults (ttl 30, loop_wait 10), HAProxy checks every 3 s, Sentinel down-after 5 s, 15 s scrapes",
  patroni: { ttl: 30, loopWait: 10, retryTimeout: 10, primaryStartTimeout: 300 },
  proxy: { interMs: 3000, fastInterMs: 3000, downInterMs: 3000, fall: 3, rise: 2, checkTimeoutMs: 2000 },
  backup: { archiveTimeoutSeconds: 60, intervalSeconds: 3_600, fullEverySeconds: 86_400 },
  sentinel: { downAfterMs: 5_000, failoverTimeoutMs: 10_000, quorum: 2, minReplicasMaxLagSeconds: 10 },
  broker: { netTicktimeSeconds: 60 },
  monitoring: {
    name: 'production',
    scrapeInterval: '15s',
    evaluationInterval: '15s',
    scrapeTimeout: '10s',
    forBySeverity: { high: '2m', medium: '5m', low: '10m' },
    rateWindow: '5m',
    window: (seconds) => duration(seconds),
    alertmanager: { groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' },
  },
  healthcheckIntervalSeconds: 5,
  logRetention: { seconds: 7 * 86_400, intervalSeconds: 30 },
};

const test: Profile = {
  name: 'test',
  summary: 'the shortest safe Patroni timings (ttl 20, loop_wait 1), HAProxy checks every second, Sentinel down-after 3 s, 1 s scrapes',
  patroni: { ttl: 20, loopWait: 1, retryTimeout: 3, primaryStartTimeout: 300 },
  proxy: { interMs: 1000, fastInterMs: 500, downInterMs: 500, fall: 2, rise: 1, checkTimeoutMs: 1000 },
  backup: { archiveTimeoutSeconds: 10, intervalSeconds: 1_800, fullEverySeconds: 7_200 },
  sentinel: { downAfterMs: 3_000, failoverTimeoutMs: 10_000, quorum: 2, minReplicasMaxLagSeconds: 5 },
  broker: { netTicktimeSeconds: 10 },
  monitoring: {
    name: 'test',
    scrapeInterval: '1s',
    evaluationInterval: '1s',
    scrapeTimeout: '900ms',
    forBySeverity: { high: '1s', medium: '1s', low: '1s' },
    rateWindow: `${MIN_TEST_WINDOW_SECONDS}s`,
    window: (seconds) => duration(Math.max(MIN_TEST_WINDOW_SECONDS, Math.round(seconds / TEST_WINDOW_SCALE))),
    alertmanager: { groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' },
  },
  // The harness runs the health command itself whenever it waits on an instance; Docker's own check only
  // feeds `docker ps` and costs a runc exec per container per interval (several stacks of ~30 share 2 cores here).
  healthcheckIntervalSeconds: 15,
  logRetention: { seconds: 600, intervalSeconds: 5 },
};

export const PROFILES: Record<ProfileName, Profile> = { test, production };
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];
/** What `refstack up` runs unless told otherwise: every drill's promise holds with it (`refstack drill --all`). */
export const DEFAULT_PROFILE: ProfileName = 'production';

/** The named profile, refusing combinations Patroni documents as unsafe. */
export function profile(name: ProfileName): Profile {
  const found = PROFILES[name];
  if (!found) throw new Error(`unknown timing profile "${String(name)}": use one of ${PROFILE_NAMES.join(', ')}`);
  assertSafePatroniTiming(found.patroni);
  return found;
}

export function assertSafePatroniTiming(t: PatroniTiming): void {
  const problems: string[] = [];
  if (t.ttl < PATRONI_MINIMUMS.ttl) problems.push(`ttl ${t.ttl} < ${PATRONI_MINIMUMS.ttl}`);
  if (t.loopWait < PATRONI_MINIMUMS.loopWait) problems.push(`loop_wait ${t.loopWait} < ${PATRONI_MINIMUMS.loopWait}`);
  if (t.retryTimeout < PATRONI_MINIMUMS.retryTimeout) problems.push(`retry_timeout ${t.retryTimeout} < ${PATRONI_MINIMUMS.retryTimeout}`);
  if (t.loopWait + 2 * t.retryTimeout > t.ttl) {
    problems.push(`loop_wait + 2 * retry_timeout = ${t.loopWait + 2 * t.retryTimeout} > ttl ${t.ttl}`);
  }
  if (problems.length) throw new Error(`unsafe Patroni timing (a deposed leader could still write): ${problems.join('; ')}`);
}

/**
 * What an isolated Redis master adds to min-replicas-max-lag before it refuses writes: a replica acknowledges
 * its offset once a second (REPLCONF ACK), the master compares whole seconds (`server.unixtime -
 * repl_ack_time <= min-replicas-max-lag` counts a replica as good) and recounts in its once-a-second
 * replication cron (Redis replication.c, `refreshGoodSlavesCount`): up to three seconds.
 */
const REDIS_ACK_AND_CRON_SECONDS = 3;

/**
 * Allowances for work no timing setting bounds, in seconds: promoting a standby (or demoting the
 * leader and promoting its successor) and restarting a crashed Postgres through crash recovery.
 * Measured here at 1–2 s each on a loaded 2-core machine; the allowance keeps a margin above that.
 * A RabbitMQ node restarting (Erlang VM boot, quorum queue recovery) took 10–28 s here. A quorum queue whose
 * leader's node was declared down published again 0.4–4.5 s later (a Raft election, the client's confirm timeout
 * of 3 s and its move to another node); 8 s keeps a margin. A frozen
 * (paused) member thawed answers Patroni's health check again at once; the allowance covers a loaded host.
 * Three Sentinels promoted a replica 1.3–2.3 s after down-after here (killed or cut-off master: the quorum is
 * asked every second, then the election, the promotion and its sighting in INFO); 4 s keeps a margin.
 */
export const ALLOWANCE = { promoteSeconds: 3, crashRestartSeconds: 5, sentinelElectionSeconds: 4, alertDeliverySeconds: 3, brokerRecoverySeconds: 30, brokerElectionSeconds: 8, thawSeconds: 2 } as const;

/** What a profile promises, each figure derived from its timings (formulas on the fields). */
export interface Promises {
  /**
   * Primary lost (node or process killed): ttl (the lease runs out at most ttl after the leader's last
   * update; replicas wake on the etcd watch) + promotion + HAProxy marking the new primary up.
   */
  failoverRtoSeconds: number;
  /**
   * Postgres crashed with Patroni alive: the next HA loop + crash recovery + promotion (Patroni starts a
   * crashed leader in recovery, then promotes it while it holds the lease) + HAProxy marking it up again.
   */
  crashRtoSeconds: number;
  /** Planned switchover: the leader demotes and hands over (no lease to wait for) + HAProxy marking the candidate up. */
  switchoverPauseSeconds: number;
  /** Redis master lost: Sentinel's down-after + the election and promotion. */
  cacheFailoverSeconds: number;
  /** A Redis master cut off from its replicas goes on accepting writes for at most this long (min-replicas-max-lag + ack period, whole-second rounding and cron tick). */
  isolatedMasterWriteSeconds: number;
  /** Fault → notification: two scrapes, one evaluation, the rate window, `for`, group_wait, delivery. */
  alertDetectionSeconds: Record<Severity, number>;
  /** The longest a committed write waits to be archived: archive_timeout. */
  archiveRpoSeconds: number;
  /** RabbitMQ back after a node restart: the broker's boot and queue recovery (an allowance; no timing bounds it). */
  queueRecoverySeconds: number;
  /**
   * The longest confirmed publishing may pause when the node leading a quorum queue is lost: its peers declare
   * it down after at most 1.25 × net_ticktime (Erlang's tick), then the election and the client's move.
   */
  queueNodeLossSeconds: number;
  /** No replica answering: HAProxy marks the last one down ({@link haproxyDownSeconds}), then new reads go to the leader. */
  readFallbackSeconds: number;
  /** A replica back: it answers its health check again (thaw allowance) and HAProxy marks it up ({@link haproxyUpSeconds}). */
  readReturnSeconds: number;
}

/**
 * HAProxy marks a hung server down after `fall` failed checks, each waiting the check timeout: the first
 * within `inter` of the fault, the others fastinter apart (HAProxy's configuration manual, "fall", "fastinter").
 */
export function haproxyDownSeconds(p: ProxyTiming): number {
  return (p.interMs + p.fall * p.checkTimeoutMs + (p.fall - 1) * p.fastInterMs) / 1000;
}

/** HAProxy marks a down server up after `rise` passing checks: the first after downinter, then fastinter apart. */
export function haproxyUpSeconds(p: ProxyTiming): number {
  return (p.downInterMs + (p.rise - 1) * p.fastInterMs + p.checkTimeoutMs) / 1000;
}

export function promises(p: Profile): Promises {
  const proxyUp = haproxyUpSeconds(p.proxy);
  const m = p.monitoring;
  const detection = (severity: Severity) =>
    round(2 * seconds(m.scrapeInterval) + seconds(m.evaluationInterval) + seconds(m.rateWindow) + seconds(m.forBySeverity[severity]) + seconds(m.alertmanager.groupWait) + ALLOWANCE.alertDeliverySeconds);
  return {
    failoverRtoSeconds: round(p.patroni.ttl + ALLOWANCE.promoteSeconds + proxyUp),
    crashRtoSeconds: round(p.patroni.loopWait + ALLOWANCE.crashRestartSeconds + ALLOWANCE.promoteSeconds + proxyUp),
    switchoverPauseSeconds: round(ALLOWANCE.promoteSeconds + proxyUp),
    cacheFailoverSeconds: round(p.sentinel.downAfterMs / 1000 + ALLOWANCE.sentinelElectionSeconds),
    isolatedMasterWriteSeconds: round(p.sentinel.minReplicasMaxLagSeconds + REDIS_ACK_AND_CRON_SECONDS),
    alertDetectionSeconds: { high: detection('high'), medium: detection('medium'), low: detection('low') },
    archiveRpoSeconds: p.backup.archiveTimeoutSeconds,
    queueRecoverySeconds: ALLOWANCE.brokerRecoverySeconds,
    queueNodeLossSeconds: round(1.25 * p.broker.netTicktimeSeconds + ALLOWANCE.brokerElectionSeconds),
    readFallbackSeconds: round(haproxyDownSeconds(p.proxy)),
    readReturnSeconds: round(ALLOWANCE.thawSeconds + proxyUp),
  };
}

/** The plan's outer bounds, whatever the profile (phase12-plan.md, "Performance Targets"). */
export const PLAN_BOUNDS = { recoveryTimeSeconds: 3_600, recoveryPointSeconds: 300 } as const;

/** 3600 → '1h', 300 → '5m', 259200 → '3d', 12 → '12s'. */
export function duration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`duration: ${seconds} is not a positive whole number of seconds`);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** '900ms' → 0.9, '5m' → 300, '1h' → 3600: Prometheus duration strings as seconds. */
export function seconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration like 900ms, 15s, 5m, 1h or 3d`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3_600, d: 86_400 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const round = (n: number) => Math.round(n * 100) / 100;
