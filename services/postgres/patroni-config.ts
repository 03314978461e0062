import { parse, stringify } from 'yaml';
import type { PatroniTiming } from '../../src/core/profiles.ts';

export const PG_PORT = 5432;
export const PATRONI_PORT = 8008;
export const DATA_DIR = '/var/lib/postgresql/data';
export const PATRONI_CONFIG_PATH = '/etc/patroni/patroni.yml';
/** The etcd key prefix of Patroni's clusters: a cluster's keys are `<namespace><scope>/…`. */
export const PATRONI_NAMESPACE = '/refstack/';

export interface PatroniConfigInput {
  scope: string;
  member: string;
  etcdHosts: string[];
  timing: PatroniTiming;
  synchronous: boolean;
  /** Where Patroni finds postgres, initdb and pg_* (the faketime directory wraps postgres in libfaketime). */
  binDir?: string;
  /** WAL archiving to pgBackRest's repository host (the stack runs one): archive_timeout in seconds. */
  archive?: { stanza: string; timeoutSeconds: number };
}

/**
 * archive_mode is a local setting, so a member started with it archives whatever it did before; only the
 * primary archives (on, not always), and a promoted replica starts at once: no WAL of a timeline is lost
 * across a failover, pgBackRest keeps each timeline's history file.
 */
function archiveParameters(archive: PatroniConfigInput['archive']): Record<string, string | number> {
  if (!archive) return {};
  return { archive_mode: 'on', archive_command: `pgbackrest --stanza=${archive.stanza} archive-push %p`, archive_timeout: archive.timeoutSeconds };
}

/**
 * One member's patroni.yml. Dynamic (DCS) settings are only used when this member bootstraps the
 * cluster. It holds no password: Patroni reads them from PATRONI_SUPERUSER_PASSWORD,
 * PATRONI_REPLICATION_PASSWORD and PATRONI_REWIND_PASSWORD ({@link patroniPasswordEnv}).
 */
export function patroniConfig(input: PatroniConfigInput): string {
  const { timing } = input;
  const config = {
    scope: input.scope,
    namespace: PATRONI_NAMESPACE,
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
      // A former primary that pg_rewind cannot bring back (WAL gone, diverged on the same timeline) is
      // re-cloned from the leader instead of staying down: the cluster regains its replicas unattended.
      remove_data_directory_on_rewind_failure: true,
      remove_data_directory_on_diverged_timelines: true,
      bin_dir: input.binDir ?? '/usr/lib/postgresql/15/bin',
      pgpass: '/tmp/pgpass',
      authentication: {
        superuser: { username: 'postgres' },
        replication: { username: 'replicator' },
        rewind: { username: 'rewinder' },
      },
      parameters: { unix_socket_directories: '/var/run/postgresql', ...archiveParameters(input.archive) },
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

/** The passwords of Patroni's three roles, as the environment variables Patroni reads (ENVIRONMENT.rst). */
export function patroniPasswordEnv(secrets: { superuser: string; replication: string; rewind: string }): Record<string, string> {
  return { PATRONI_SUPERUSER_PASSWORD: secrets.superuser, PATRONI_REPLICATION_PASSWORD: secrets.replication, PATRONI_REWIND_PASSWORD: secrets.rewind };
}

/**
 * A member's patroni.yml (as {@link patroniConfig} wrote it) that bootstraps a *new* cluster from pgBackRest's
 * repository instead of initdb: Patroni's custom bootstrap (docs/replica_bootstrap.rst) runs `pgbackrest
 * restore` (the newest backup, recovery to the end of the archive, pgBackRest's own restore_command kept),
 * then Postgres replays the archive and promotes on a new timeline. Patroni reads the bootstrap section only
 * when the DCS holds no cluster, so the file is inert on a member of a running cluster.
 * @throws when the text is not a patroni.yml with a bootstrap section
 */
export function withRestoreBootstrap(config: string, stanza: string): string {
  const parsed = parse(config) as { bootstrap?: Record<string, unknown> } | null;
  if (!parsed?.bootstrap) throw new Error('not a patroni.yml with a bootstrap section: cannot add the pgBackRest bootstrap');
  parsed.bootstrap.method = 'pgbackrest';
  parsed.bootstrap.pgbackrest = { command: `pgbackrest --stanza=${stanza} --log-level-console=info restore`, keep_existing_recovery_conf: true, no_params: true };
  return stringify(parsed);
}
