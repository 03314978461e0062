import { docker } from '../../src/core/docker/engine.ts';
import type { InstanceHandle, StackHandle } from '../../src/core/spec.ts';
import type { Repo } from '../postgres/pgbackrest.ts';
import { backupTlsHosts, PGBACKREST } from './spec.ts';
import { REPO_PATHS, REPOS, STANZA } from './config.ts';

/** A whole archived segment: name, checksum, compression; not a `.partial` nor a push in flight (`.pgbackrest.tmp`). */
const COMPLETE_SEGMENT = /^([0-9A-F]{24})-[0-9a-f]{40}(?:\.(?:gz|lz4|zst|bz2))?$/;

export type RepoKey = (typeof REPOS)[number];

/** One backup set as `pgbackrest info --output=json` lists it (the fields the suites read). */
export interface BackupSet {
  label: string;
  type: 'full' | 'diff' | 'incr';
  /** Unix seconds. */
  timestamp: { start: number; stop: number };
  archive: { start: string; stop: string };
  error?: boolean;
}

/** The repository host of a stack: its pgBackRest commands, run as postgres inside it. */
export interface BackupRepository {
  readonly instance: InstanceHandle;
  /** Good backups of one repository, oldest first. */
  backups(repo: RepoKey): Promise<BackupSet[]>;
  /** A backup into one repository (from a standby); resolves with pgBackRest's output, throws it when the backup fails. */
  backup(repo: RepoKey, type: BackupSet['type']): Promise<string>;
  /** The WAL segment names (24 hex digits) one repository holds, every timeline (or only in the folder `prefix`, their first 16 hex digits). */
  archivedSegments(repo: RepoKey, prefix?: string): Promise<Set<string>>;
  /** Whether every repository holds the WAL segment (or timeline history file) named `file`. */
  archived(file: string): Promise<Record<RepoKey, boolean>>;
  /**
   * Both repositories as volumes a throw-away restore container can mount (services/postgres/pgbackrest.ts),
   * with the stack's passphrase: a restore never touches the running cluster or the repository host.
   */
  repos(): Promise<Repo[]>;
}

export function backupRepository(stack: StackHandle): BackupRepository {
  if (!stack.has(PGBACKREST)) throw new Error(`stack ${stack.project} runs no ${PGBACKREST} service: start it with the repository host (refstack up runs it)`);
  return new Repository(stack.first(PGBACKREST), stack);
}

class Repository implements BackupRepository {
  constructor(
    readonly instance: InstanceHandle,
    private readonly stack: StackHandle,
  ) {}

  private pgbackrest(args: string, timeoutMs = 120_000): Promise<string> {
    return this.instance.sh(`pgbackrest --stanza=${STANZA} ${args} 2>&1`, { user: 'postgres', timeoutMs });
  }

  async backups(repo: RepoKey): Promise<BackupSet[]> {
    const stanzas = JSON.parse(await this.instance.sh(`pgbackrest --stanza=${STANZA} --repo=${repo} --output=json info`, { user: 'postgres' })) as Array<{ backup?: BackupSet[] }>;
    return (stanzas[0]?.backup ?? []).filter((b) => !b.error);
  }

  backup(repo: RepoKey, type: BackupSet['type']): Promise<string> {
    return this.pgbackrest(`--repo=${repo} --type=${type} backup`, 600_000);
  }

  async archived(file: string): Promise<Record<RepoKey, boolean>> {
    const found = async (repo: RepoKey) => (/^[0-9A-F]{24}$/.test(file) ? (await this.archivedSegments(repo, file.slice(0, 16))).has(file) : (await this.list(repo, '')).includes(file));
    const [one, two] = await Promise.all(REPOS.map(found));
    return { 1: one!, 2: two! };
  }

  async archivedSegments(repo: RepoKey, prefix = '*'): Promise<Set<string>> {
    return new Set((await this.list(repo, `${prefix}/`)).flatMap((n) => COMPLETE_SEGMENT.exec(n)?.[1] ?? []));
  }

  /**
   * File names under archive/<stanza>/<pg version>-<db id>/<sub>: segments sit in folders named by their
   * first 16 hex digits, history files at the top. A push in flight is <name>….pgbackrest.tmp until renamed.
   */
  private async list(repo: RepoKey, sub: string): Promise<string[]> {
    return (await this.instance.sh(`ls ${REPO_PATHS[repo]}/archive/${STANZA}/*/${sub} 2>/dev/null || true`, { user: 'postgres' })).split('\n');
  }

  async repos(): Promise<Repo[]> {
    const cipherPass = this.stack.secrets.backup?.cipherPass;
    if (!cipherPass) throw new Error(`stack ${this.stack.project} has no backup secrets (hosts ${backupTlsHosts().join(', ')})`);
    const mounts = (await docker().getContainer(this.instance.container).inspect()).Mounts;
    return REPOS.map((index) => {
      const mount = mounts.find((m) => m.Destination === REPO_PATHS[index]);
      if (!mount?.Name) throw new Error(`${this.instance.name} has no volume at ${REPO_PATHS[index]}`);
      return { index, volume: mount.Name, path: REPO_PATHS[index], cipherPass };
    });
  }
}
