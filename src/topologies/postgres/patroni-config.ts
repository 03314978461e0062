import { stringify } from 'yaml';
import type { PatroniTiming } from './timing.ts';

export const PG_PORT = 5432;
export const PATRONI_PORT = 8008;
export const DATA_DIR = '/var/lib/postgresql/data';
export const PATRONI_CONFIG_PATH = '/etc/patroni/patroni.yml';

export interface ClusterSecrets {
  superuser: string;
  replication: string;
  rewind: string;
}

export interface PatroniConfigInput {
  scope: string;
  member: string;
  etcdHosts: string[];
  timing: PatroniTiming;
  synchronous: boolean;
  secrets: ClusterSecrets;
}

/** One member's patroni.yml. Dynamic (DCS) settings are only used when this member bootstraps the cluster. */
export function patroniConfig(input: PatroniConfigInput): string {
  const { timing } = input;
  const config = {
    scope: input.scope,
    namespace: '/refstack/',
    name: input.member,
    log: { level: 'INFO' },
    restapi: { listen: `0.0.0.0:${PATRONI_PORT}`, connect_address: `${input.member}:${PATRONI_PORT}` },
    etcd3: { hosts: input.etcdHosts.join(',') },
    bootstrap: {
      dcs: {
        ttl: timing.ttl,
        loop_wait: timing.loopWait,
        retry_timeout: timing.retryTimeout,
        primary_start_timeout: timing.primaryStartTimeout,
        maximum_lag_on_failover: 1024 * 1024,
        synchronous_mode: input.synchronous,
        synchronous_mode_strict: false,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: {
            wal_level: 'replica',
            hot_standby: 'on',
            wal_log_hints: 'on',
            max_wal_senders: 10,
            max_replication_slots: 10,
            wal_keep_size: '256MB',
            max_connections: 100,
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
    },
    postgresql: {
      listen: `0.0.0.0:${PG_PORT}`,
      connect_address: `${input.member}:${PG_PORT}`,
      data_dir: DATA_DIR,
      bin_dir: '/usr/lib/postgresql/15/bin',
      pgpass: '/tmp/pgpass',
      authentication: {
        superuser: { username: 'postgres', password: input.secrets.superuser },
        replication: { username: 'replicator', password: input.secrets.replication },
        rewind: { username: 'rewinder', password: input.secrets.rewind },
      },
      parameters: { unix_socket_directories: '/var/run/postgresql' },
      pg_hba: [
        'local all all trust',
        'host replication replicator all scram-sha-256',
        'host all all all scram-sha-256',
      ],
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
  return stringify(config);
}
