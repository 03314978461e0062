import { describe, expect, it } from 'vitest';
import { haproxyConfig } from '../../haproxy-config.ts';
import { patroniConfig } from '../../patroni-config.ts';
import { assertSafePatroniTiming, timingProfile } from '../../timing.ts';

describe('postgres HA timing profiles', () => {
  it('the test profile is the shortest Patroni documents as safe, production is Patroni defaults', () => {
    expect(timingProfile('test').patroni).toMatchObject({ ttl: 20, loopWait: 1, retryTimeout: 3 });
    expect(timingProfile('production').patroni).toMatchObject({ ttl: 30, loopWait: 10, retryTimeout: 10 });
  });

  it('refuses timings that would let a deposed leader keep writing', () => {
    expect(() => assertSafePatroniTiming({ ttl: 10, loopWait: 1, retryTimeout: 3, primaryStartTimeout: 0 })).toThrow(/ttl 10 < 20/);
    expect(() => assertSafePatroniTiming({ ttl: 20, loopWait: 10, retryTimeout: 6, primaryStartTimeout: 0 })).toThrow(/22 > ttl 20/);
    expect(() => timingProfile('fast' as never)).toThrow(/unknown timing profile "fast"/);
  });

  it('the generated configurations carry the profile', () => {
    const t = timingProfile('test');
    const yaml = patroniConfig({ scope: 's', member: 'pg1', etcdHosts: ['etcd1:2379'], timing: t.patroni, synchronous: true, secrets: { superuser: 'a', replication: 'b', rewind: 'c' } });
    expect(yaml).toMatch(/ttl: 20\n/);
    expect(yaml).toMatch(/loop_wait: 1\n/);
    expect(yaml).toMatch(/synchronous_mode: true\n/);
    expect(yaml).toMatch(/etcd3:\n\s+hosts: etcd1:2379/);
    const cfg = haproxyConfig(['pg1', 'pg2'], t.proxy);
    expect(cfg).toContain('option httpchk GET /primary');
    expect(cfg).toContain('option httpchk GET /replica');
    expect(cfg).toContain('inter 1000ms fastinter 500ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions');
  });
});
