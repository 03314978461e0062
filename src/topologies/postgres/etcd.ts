import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { runLabels } from '../../core/docker/labels.ts';
import { imageRef } from '../../core/images/catalog.ts';

export const ETCD_CLIENT_PORT = 2379;
const ETCD_PEER_PORT = 2380;

export function etcdMemberNames(size = 3): string[] {
  return Array.from({ length: size }, (_, i) => `etcd${i + 1}`);
}

/** The command line of one member of a new quorum whose members are reachable by their names. */
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

/** A real etcd quorum on the cluster network, members reachable as etcd1..etcdN. */
export async function startEtcdQuorum(network: string, token: string, size = 3): Promise<StartedTestContainer[]> {
  const names = etcdMemberNames(size);
  return Promise.all(
    names.map((name) =>
      new GenericContainer(imageRef('etcd'))
        .withLabels(runLabels())
        .withNetworkMode(network)
        .withNetworkAliases(name)
        .withCommand(etcdCommand(name, names, token))
        .withWaitStrategy(Wait.forLogMessage(/ready to serve client requests/))
        .withStartupTimeout(60_000)
        .start(),
    ),
  );
}

export function etcdHosts(size = 3): string[] {
  return etcdMemberNames(size).map((n) => `${n}:${ETCD_CLIENT_PORT}`);
}
