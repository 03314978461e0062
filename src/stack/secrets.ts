import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { STATE_DIR } from '../core/paths.ts';
import type { Secrets } from '../core/spec.ts';
import { makeBackupSecrets } from '../../services/pgbackrest/tls.ts';
import { backupTlsHosts } from '../../services/pgbackrest/spec.ts';

/** API clients (X-API-Key) of a stack unless the `sample-app.clients` option names others: `web,mobile,tiny:5`. */
export const DEFAULT_CLIENTS = 'web,mobile';

const token = (bytes = 18) => randomBytes(bytes).toString('base64url');

/** Fresh random credentials; `clients` is the `sample-app.clients` option (name[:requests per second],…). */
export function generateSecrets(clients = DEFAULT_CLIENTS): Secrets {
  return {
    postgresSuperuser: token(),
    postgresReplication: token(),
    postgresRewind: token(),
    rabbitmqUser: 'refstack',
    rabbitmqPassword: token(),
    rabbitmqCookie: token(24),
    apiKeys: parseClients(clients).map((c) => ({ ...c, key: `${c.name}-${token(12)}` })),
  };
}

export function parseClients(text: string): Array<{ name: string; ratePerSecond?: number }> {
  return text.split(',').map((entry) => {
    const [name, rate] = entry.split(':');
    if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`sample-app.clients: "${entry}" is not name[:requests per second] (names are lower-case words)`);
    if (rate !== undefined && !(Number.isInteger(Number(rate)) && Number(rate) > 0)) throw new Error(`sample-app.clients: the rate in "${entry}" must be a positive whole number`);
    return rate === undefined ? { name } : { name, ratePerSecond: Number(rate) };
  });
}

/** Where an environment's credentials are kept: outside git (.refstack/ is ignored), readable by the owner only. */
export function secretsFile(project: string): string {
  return join(STATE_DIR, project, 'secrets.json');
}

/** The environment's credentials, generated on its first start and kept until its data is removed. */
export function environmentSecrets(project: string, clients = DEFAULT_CLIENTS): Secrets {
  const file = secretsFile(project);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Secrets;
  const secrets = generateSecrets(clients);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

/** Read-only: the credentials of an environment that was started, or undefined. */
export function readEnvironmentSecrets(project: string): Secrets | undefined {
  const file = secretsFile(project);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Secrets) : undefined;
}

/** With the data gone, the credentials that protected it go too (the next start generates new ones). */
export function forgetEnvironmentSecrets(project: string): void {
  rmSync(dirname(secretsFile(project)), { recursive: true, force: true });
}

/**
 * The secrets with the backup tier's CA and identities ({@link Secrets.backup}), made when a stack that runs
 * the repository host has none yet; an environment keeps them in its secrets file (an older file gains them).
 */
export function withBackupSecrets(secrets: Secrets, project?: string): Secrets {
  if (secrets.backup) return secrets;
  const completed = { ...secrets, backup: makeBackupSecrets(backupTlsHosts()) };
  if (project) {
    // Written whole, then renamed: the file also holds the environment's other credentials.
    const file = secretsFile(project);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(completed, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  return completed;
}
