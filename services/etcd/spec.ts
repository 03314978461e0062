import { type ServiceSpec } from '../../src/core/spec.ts';

export const ETCD_CLIENT_PORT = 2379;
const ETCD_PEER_PORT = 2380;
const HEALTH = `etcdctl --endpoints=http://127.0.0.1:${ETCD_CLIENT_PORT} --command-timeout=2s endpoint health`;

/** The command line of one member of a new quorum whose members reach each other by name. */
export function etcdCommand(name: string, members: string[], token: string): string[] {
  return [
    `--name=${name}`,
    '--data-dir=/var/lib/etcd/data',
    `--listen-client-urls=http://0.0.0.0:${ETCD_CLIENT_PORT}`,
    `--advertise-client-urls=http://${name}:${ETCD_CLIENT_PORT}`,
    `--listen-peer-urls=http://0.0.0.0:${ETCD_PEER_PORT}`,
    `--initial-advertise-peer-urls=http://${name}:${ETCD_PEER_PORT}`,
    `--initial-cluster=${members.map((n) => `${n}=http://${n}:${ETCD_PEER_PORT}`).join(',')}`,
    `--initial-cluster-token=${token}`,
    '--initial-cluster-state=new',
  ];
}

/** etcd ×3: the Raft quorum that holds Patroni's leader lease. All members start together (none is healthy alone). */
export const etcd: ServiceSpec = {
  name: 'etcd',
  summary: "etcd ×3 (Debian's etcd-server): the Raft quorum holding Patroni's leader lease",
  image: { build: 'etcd' },
  replicas: 3,
  instanceName: (i) => `etcd${i + 1}`,
  dependsOn: [],
  command: (ctx) => etcdCommand(ctx.instance, ctx.instances('etcd'), 'refstack'),
  ports: [
    { name: 'client', container: ETCD_CLIENT_PORT },
    { name: 'peer', container: ETCD_PEER_PORT },
  ],
  health: { command: HEALTH },
  volumes: [{ name: 'data', target: '/var/lib/etcd' }],
  describe: async (instance) => {
    const { exitCode, output } = await instance.exec(['etcdctl', `--endpoints=http://127.0.0.1:${ETCD_CLIENT_PORT}`, '--command-timeout=2s', 'endpoint', 'status', '-w', 'json']);
    if (exitCode !== 0) return `? ${output.trim().split('\n')[0]}`;
    // Ids compared as text: they exceed JavaScript's safe integers.
    const member = /"member_id":(\d+)/.exec(output)?.[1];
    const leader = /"leader":(\d+)/.exec(output)?.[1];
    const term = /"raft_term":(\d+)/.exec(output)?.[1];
    return `${member && member === leader ? 'leader' : 'follower'}, raft term ${term ?? '?'}`;
  },
};
