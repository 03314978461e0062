import { randomBytes } from 'node:crypto';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { docker } from '../../src/core/docker/engine.ts';
import { currentRunId, runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';
import { DATA_DIR, PG_PORT } from './patroni-config.ts';
import { profile, type ProfileName } from '../../src/core/profiles.ts';

export const STANZA = 'main';
export const PGBACKREST_CONFIG_PATH = '/etc/pgbackrest/pgbackrest.conf';
const READY = /database system is ready to accept connections/;

/** A pgBackRest repository on its own labelled Docker volume, encrypted with a passphrase made for this run. */
export interface Repo {
  index: 1 | 2;
  volume: string;
  /** Mount point inside containers. */
  path: string;
  cipherPass: string;
}

export async function createRepo(index: 1 | 2, purpose: string): Promise<Repo> {
  const volume = `refstack-pgbackrest-${purpose}-repo${index}-${currentRunId().slice(-6)}-${process.pid}`;
  await docker().createVolume({ Name: volume, Labels: runLabels() });
  const path = index === 1 ? '/var/lib/pgbackrest' : '/var/lib/pgbackrest-offsite';
  return { index, volume, path, cipherPass: randomBytes(32).toString('base64url') };
}

export async function deleteRepo(repo: Repo): Promise<void> {
  await docker().getVolume(repo.volume).remove({ force: true });
}

/**
 * pgbackrest.conf for the given repositories. Compression is off so that encryption alone keeps
 * plaintext out of the repository (the suite proves it with a marker string).
 */
export function pgbackrestConfig(repos: Repo[]): string {
  const repoLines = repos.flatMap((r) => [
    `repo${r.index}-path=${r.path}`,
    `repo${r.index}-cipher-type=aes-256-cbc`,
    `repo${r.index}-cipher-pass=${r.cipherPass}`,
    `repo${r.index}-retention-full=2`,
  ]);
  return [
    '[global]',
    ...repoLines,
    'compress-type=none',
    'start-fast=y',
    'process-max=2',
    'log-level-console=info',
    'log-level-file=off',
    '',
    `[${STANZA}]`,
    `pg1-path=${DATA_DIR}`,
    'pg1-socket-path=/var/run/postgresql',
    `pg1-port=${PG_PORT}`,
    '',
  ].join('\n');
}

function withRepos(container: GenericContainer, repos: Repo[]): GenericContainer {
  return container
    .withLabels(runLabels())
    .withBindMounts(repos.map((r) => ({ source: r.volume, target: r.path, mode: 'rw' as const })))
    .withCopyContentToContainer([{ content: pgbackrestConfig(repos), target: PGBACKREST_CONFIG_PATH, mode: 0o644 }])
    .withExposedPorts(PG_PORT);
}

/** Standalone Postgres (the image's official-image mode) archiving every WAL segment to all repositories. */
export async function startArchivingPostgres(repos: Repo[], password: string, timing: ProfileName = 'test'): Promise<StartedTestContainer> {
  const { archiveTimeoutSeconds } = profile(timing).backup;
  const started = await withRepos(new GenericContainer(imageRef('postgres')), repos)
    .withEnvironment({ POSTGRES_PASSWORD: password })
    .withCommand([
      'postgres',
      '-c', 'archive_mode=on',
      '-c', `archive_command=pgbackrest --stanza=${STANZA} archive-push %p`,
      '-c', `archive_timeout=${archiveTimeoutSeconds}`,
      '-c', 'wal_level=replica',
    ])
    // initdb's temporary server logs "ready" once, the real server a second time.
    .withWaitStrategy(Wait.forLogMessage(READY, 2))
    .withStartupTimeout(120_000)
    .start();
  await ownRepos(started, repos);
  return started;
}

/**
 * A fresh container with an empty data directory that runs `pgbackrest restore <args>` and then
 * starts Postgres on the restored data (archiving off, so the restored timeline never reaches the repos).
 * Resolves when the restored server accepts read-write connections.
 */
export async function startRestoredPostgres(repos: Repo[], restoreArgs: string[]): Promise<StartedTestContainer> {
  const restore = ['pgbackrest', `--stanza=${STANZA}`, ...restoreArgs, 'restore'].map(shellQuote).join(' ');
  const script = [
    `chown postgres:postgres ${repos.map((r) => r.path).join(' ')}`,
    `setpriv --reuid=postgres --regid=postgres --init-groups ${restore}`,
    'exec docker-entrypoint.sh postgres -c archive_mode=off',
  ].join(' && ');
  return withRepos(new GenericContainer(imageRef('postgres')), repos)
    .withEntrypoint(['bash', '-c', `set -e; cd /tmp; ${script}`])
    .withCommand([])
    .withWaitStrategy(Wait.forLogMessage(READY, 1))
    .withStartupTimeout(180_000)
    .start();
}

async function ownRepos(container: StartedTestContainer, repos: Repo[]): Promise<void> {
  const result = await container.exec(['chown', 'postgres:postgres', ...repos.map((r) => r.path)]);
  if (result.exitCode !== 0) throw new Error(`chown of the repositories failed: ${result.output}`);
}

/** Runs pgbackrest as postgres in the container; fails with its output when it exits non-zero. */
export async function pgbackrest(container: StartedTestContainer, args: string[]): Promise<string> {
  const result = await container.exec(['pgbackrest', `--stanza=${STANZA}`, ...args], { user: 'postgres' });
  if (result.exitCode !== 0) throw new Error(`pgbackrest ${args.join(' ')} exited ${result.exitCode}:\n${result.output}`);
  return result.output;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
