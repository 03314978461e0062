import { DATA_DIR, PG_PORT } from '../postgres/patroni-config.ts';
import { STANZA } from '../postgres/pgbackrest.ts';

export { STANZA };
/** The repository host's service and host name: a stack that runs it archives every member's WAL there. */
export const PGBACKREST = 'pgbackrest';
/** pgBackRest's TLS server port (its default), on the repository host and on every member. */
export const TLS_PORT = 8432;
export const CONFIG_PATH = '/etc/pgbackrest/pgbackrest.conf';
/** Written from REFSTACK_BACKUP_TLS_*_B64 by the postgres image's entrypoint (services/postgres/docker-entrypoint.sh). */
export const TLS_DIR = '/etc/pgbackrest/tls';
const tls = { ca: `${TLS_DIR}/ca.pem`, cert: `${TLS_DIR}/cert.pem`, key: `${TLS_DIR}/key.pem` };
/** The two repositories on the repository host, each on its own volume. */
export const REPO_PATHS = { 1: '/var/lib/pgbackrest', 2: '/var/lib/pgbackrest-offsite' } as const;
export const REPOS = [1, 2] as const;

export interface BackupRetention {
  /** Full backups kept in repository 1 (the one restores come from first). */
  repo1Full: number;
  /** Full backups kept in repository 2 (the second copy). */
  repo2Full: number;
}

/**
 * archive-push's io-timeout on a member. pgBackRest retries a connection to a repository host it cannot
 * reach until io-timeout (60 s by default): with the host gone, every push would hang a minute before it
 * failed, and the archiver would report nothing meanwhile (measured: WalArchiveFailing silent for 73 s).
 * A push tries each repository in turn: a failure takes one timeout per repository. 3 s without a byte is
 * long on a local network (it bounds silence, not the length of a transfer).
 */
export const ARCHIVE_PUSH_IO_TIMEOUT_SECONDS = 3;

/** lz4: cheap on a 2-core host; archive-push compresses on the member, backups on the host. */
const COMPRESS = 'lz4';

const lines = (section: string, entries: Array<[string, string | number]>) => [`[${section}]`, ...entries.map(([k, v]) => `${k}=${v}`), ''];

/** Both ends of mutual TLS: this host's server (accepting `clients` for the stanza) and its client identity. */
function tlsServer(clients: readonly string[]): Array<[string, string]> {
  return [
    ['tls-server-address', '*'],
    ['tls-server-ca-file', tls.ca],
    ['tls-server-cert-file', tls.cert],
    ['tls-server-key-file', tls.key],
    // One line per client: the value is `<client CN>=<stanza>[,<stanza>…]`, commas separate stanzas.
    ...clients.map((c): [string, string] => ['tls-server-auth', `${c}=${STANZA}`]),
  ];
}

const client = (prefix: string, host: string): Array<[string, string | number]> => [
  [`${prefix}-host`, host],
  [`${prefix}-host-type`, 'tls'],
  [`${prefix}-host-port`, TLS_PORT],
  [`${prefix}-host-ca-file`, tls.ca],
  [`${prefix}-host-cert-file`, tls.cert],
  [`${prefix}-host-key-file`, tls.key],
];

const logging: Array<[string, string]> = [
  ['log-level-console', 'info'],
  ['log-level-file', 'off'],
];

/**
 * A Patroni member's pgbackrest.conf: both repositories are on `repoHost`, reached over mutual TLS (the
 * member's archive_command pushes every WAL segment to both, compressed and encrypted on the member with
 * the cipher settings the repository host hands it); its own TLS server lets the repository host, and
 * only it, run backups from this member. No secret in the file: the passphrase is configured on the
 * repository host alone (a member with a valid TLS identity can still obtain it through the protocol).
 */
export function memberConfig(repoHost: string): string {
  return [
    ...lines('global', [...REPOS.flatMap((r) => client(`repo${r}`, repoHost)), ['compress-type', COMPRESS], ...tlsServer([repoHost]), ...logging]),
    ...lines('global:archive-push', [['io-timeout', ARCHIVE_PUSH_IO_TIMEOUT_SECONDS]]),
    ...lines(STANZA, [
      ['pg1-path', DATA_DIR],
      ['pg1-socket-path', '/var/run/postgresql'],
      ['pg1-port', PG_PORT],
    ]),
  ].join('\n');
}

/**
 * The repository host's pgbackrest.conf: two encrypted repositories (passphrases from
 * PGBACKREST_REPO<n>_CIPHER_PASS, never in a file), every member as a TLS pg host so that backups are
 * taken from a standby (`backup-standby=y`: only the start/stop calls touch the primary), and a TLS
 * server accepting the members' archive pushes.
 */
export function repoHostConfig(members: readonly string[], retention: BackupRetention): string {
  return [
    ...lines('global', [
      ...REPOS.flatMap((r): Array<[string, string | number]> => [
        [`repo${r}-path`, REPO_PATHS[r]],
        [`repo${r}-cipher-type`, 'aes-256-cbc'],
        [`repo${r}-retention-full`, r === 1 ? retention.repo1Full : retention.repo2Full],
      ]),
      ['compress-type', COMPRESS],
      ['start-fast', 'y'],
      ['backup-standby', 'y'],
      ['process-max', 2],
      ...tlsServer(members),
      ...logging,
    ]),
    ...lines(
      STANZA,
      members.flatMap((host, i): Array<[string, string | number]> => [
        ...client(`pg${i + 1}`, host),
        [`pg${i + 1}-path`, DATA_DIR],
        [`pg${i + 1}-socket-path`, '/var/run/postgresql'],
        [`pg${i + 1}-port`, PG_PORT],
      ]),
    ),
  ].join('\n');
}

/** The environment every pgBackRest host gets from {@link BackupSecrets}: the TLS identity files' content. */
export function tlsEnv(secrets: { ca: string; identities: Record<string, { cert: string; key: string }> }, host: string): Record<string, string> {
  const identity = secrets.identities[host];
  if (!identity) throw new Error(`no backup TLS identity for ${host} (the stack's secrets have ${Object.keys(secrets.identities).join(', ')}): run this stack with the hosts its backup identities were made for`);
  // Not PGBACKREST_*: pgBackRest reads every such variable as an option and warns about unknown ones.
  return { REFSTACK_BACKUP_TLS_CA_B64: secrets.ca, REFSTACK_BACKUP_TLS_CERT_B64: identity.cert, REFSTACK_BACKUP_TLS_KEY_B64: identity.key };
}
