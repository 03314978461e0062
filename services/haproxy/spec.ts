import type { ServiceSpec } from '../../src/core/spec.ts';
import { HAPROXY_CONFIG_PATH, READ_PORT, STATS_PORT, WRITE_PORT, haproxyConfig } from './config.ts';

/**
 * HAProxy in front of the Patroni members: the write port goes to whichever member's /primary answers
 * 200, the read port round-robins over /replica and falls back to the leader while no replica is up.
 * Clients never learn where the primary is.
 */
export const haproxy: ServiceSpec = {
  name: 'haproxy',
  summary: "HAProxy: Postgres writes to the Patroni leader, reads to the replicas (health from Patroni's REST API)",
  image: { build: 'haproxy' },
  replicas: 1,
  dependsOn: ['postgres'],
  files: (ctx) => [{ path: HAPROXY_CONFIG_PATH, content: haproxyConfig(ctx.instances('postgres'), ctx.profile.proxy) }],
  ports: [
    { name: 'write', container: WRITE_PORT, publish: { env: [15432] } },
    { name: 'read', container: READ_PORT, publish: { env: [15433] } },
    { name: 'stats', container: STATS_PORT, publish: { env: [17000] }, http: '/' },
  ],
  // Healthy once the stats page lists a write backend server that is UP (18th CSV column: status).
  health: {
    command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${STATS_PORT}; printf "GET /;csv HTTP/1.0\\r\\n\\r\\n" >&3; grep -Eq "^primary,[^,]+,([^,]*,){15}UP" <&3'`,
  },
  scrape: [{ job: 'haproxy', port: 'stats', path: '/metrics', down: { severity: 'high', blind: 'which member HAProxy sends writes and reads to, and whether it sees a primary at all' } }],
  describe: async (instance) => {
    const csv = await (await fetch(`http://127.0.0.1:${await instance.hostPort('stats')}/;csv`, { signal: AbortSignal.timeout(1_500) })).text();
    const up = (proxy: string) =>
      csv
        .split('\n')
        .map((l) => l.split(','))
        .filter((c) => c[0] === proxy && c[1] !== 'FRONTEND' && c[1] !== 'BACKEND' && c[17] === 'UP')
        .map((c) => c[1] ?? '');
    const replicas = up('replicas');
    const fallback = replicas.filter((s) => s.endsWith('-leader'));
    const readers = replicas.filter((s) => !fallback.includes(s));
    return `writes → ${up('primary').join(', ') || 'none'}; reads → ${readers.join(', ') || (fallback.length ? `${fallback.join(', ')} (no replica up: the leader serves reads)` : 'none')}`;
  },
};
