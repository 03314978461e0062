import { describe, expect, it } from 'vitest';
import { haproxyConfig } from '../../../../services/haproxy/config.ts';
import { patroniConfig } from '../../../../services/postgres/patroni-config.ts';
import { PLAN_BOUNDS, assertSafePatroniTiming, haproxyUpSeconds, profile, promises, seconds } from '../../profiles.ts';

describe('timing profiles', () => {
  it('the test profile is the shortest Patroni documents as safe, production is Patroni defaults', () => {
    expect(profile('test').patroni).toMatchObject({ ttl: 20, loopWait: 1, retryTimeout: 3 });
    expect(profile('production').patroni).toMatchObject({ ttl: 30, loopWait: 10, retryTimeout: 10 });
  });

  it('refuses timings that would let a deposed leader keep writing, and unknown profiles', () => {
    expect(() => assertSafePatroniTiming({ ttl: 10, loopWait: 1, retryTimeout: 3, primaryStartTimeout: 0 })).toThrow(/ttl 10 < 20/);
    expect(() => assertSafePatroniTiming({ ttl: 20, loopWait: 10, retryTimeout: 6, primaryStartTimeout: 0 })).toThrow(/22 > ttl 20/);
    expect(() => profile('fast' as never)).toThrow(/unknown timing profile "fast"/);
  });

  it('promises follow from the timings: lease + promotion + HAProxy marking the new primary up', () => {
    const test = profile('test');
    expect(haproxyUpSeconds(test.proxy)).toBe(1.5);
    expect(promises(test).failoverRtoSeconds).toBe(20 + 3 + 1.5);
    expect(promises(test).switchoverPauseSeconds).toBe(4.5);
    const production = profile('production');
    expect(promises(production).failoverRtoSeconds).toBe(30 + 3 + 8);
    // Longer timings promise longer outages, and every promise stays inside the plan's bound.
    for (const key of ['failoverRtoSeconds', 'crashRtoSeconds', 'switchoverPauseSeconds', 'cacheFailoverSeconds'] as const) {
      expect(promises(production)[key]).toBeGreaterThan(promises(test)[key]);
      expect(promises(production)[key]).toBeLessThan(PLAN_BOUNDS.recoveryTimeSeconds);
    }
    expect(promises(production).archiveRpoSeconds).toBeLessThanOrEqual(PLAN_BOUNDS.recoveryPointSeconds);
    expect(promises(test).alertDetectionSeconds.high).toBe(2 * 1 + 1 + 5 + 1 + 1 + 3);
  });

  it('reads Prometheus durations', () => {
    expect([seconds('900ms'), seconds('15s'), seconds('5m'), seconds('1h'), seconds('3d')]).toEqual([0.9, 15, 300, 3600, 259200]);
    expect(() => seconds('5 minutes')).toThrow(/not a duration/);
  });

  it('the rendered configurations carry the profile', () => {
    const t = profile('test');
    const yaml = patroniConfig({ scope: 's', member: 'pg1', etcdHosts: ['etcd1:2379'], timing: t.patroni, synchronous: true });
    expect(yaml).toMatch(/ttl: 20\n/);
    expect(yaml).toMatch(/loop_wait: 1\n/);
    expect(yaml).toMatch(/synchronous_mode: true\n/);
    expect(yaml).toMatch(/etcd3:\n\s+hosts: etcd1:2379/);
    expect(yaml, 'passwords travel in the environment, not in the file').not.toMatch(/password/);
    const cfg = haproxyConfig(['pg1', 'pg2'], t.proxy);
    expect(cfg).toContain('option httpchk GET /primary');
    expect(cfg).toContain('option httpchk GET /replica');
    expect(cfg).toContain('inter 1000ms fastinter 500ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions');
  });
});
