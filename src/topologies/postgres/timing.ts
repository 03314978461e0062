/**
 * The one source of Patroni and HAProxy timings for the Postgres HA topology.
 * `test`: the shortest timings Patroni documents as safe (ttl >= 20, loop_wait >= 1, retry_timeout >= 3,
 * loop_wait + 2 * retry_timeout <= ttl) with fast HAProxy checks. `production`: Patroni's defaults and the
 * health-check settings of Patroni's sample haproxy.cfg.
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
}

export interface TimingProfile {
  patroni: PatroniTiming;
  proxy: ProxyTiming;
  backup: BackupTiming;
}

export type TimingName = 'test' | 'production';

export const PATRONI_MINIMUMS = { ttl: 20, loopWait: 1, retryTimeout: 3 } as const;

export const timingProfiles: Record<TimingName, TimingProfile> = {
  test: {
    patroni: { ttl: 20, loopWait: 1, retryTimeout: 3, primaryStartTimeout: 300 },
    proxy: { interMs: 1000, fastInterMs: 500, downInterMs: 500, fall: 2, rise: 1, checkTimeoutMs: 1000 },
    backup: { archiveTimeoutSeconds: 10 },
  },
  production: {
    patroni: { ttl: 30, loopWait: 10, retryTimeout: 10, primaryStartTimeout: 300 },
    proxy: { interMs: 3000, fastInterMs: 3000, downInterMs: 3000, fall: 3, rise: 2, checkTimeoutMs: 2000 },
    backup: { archiveTimeoutSeconds: 60 },
  },
};

/** The named profile, refusing combinations Patroni documents as unsafe. */
export function timingProfile(name: TimingName): TimingProfile {
  const profile = timingProfiles[name];
  if (!profile) throw new Error(`unknown timing profile "${String(name)}": use one of ${Object.keys(timingProfiles).join(', ')}`);
  assertSafePatroniTiming(profile.patroni);
  return profile;
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
