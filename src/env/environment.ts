import { removeByLabels, type Removed } from '../core/docker/cleanup.ts';
import { port as portOf, type InstanceState } from '../core/spec.ts';
import type { ProfileName } from '../core/profiles.ts';
import { brokerCluster } from '../../services/rabbitmq/cluster.ts';
import { sentinel } from '../../services/redis/spec.ts';
import { STACK } from '../stack/definition.ts';
import { environmentPlacement, projectFilter, DEFAULT_PROJECT } from '../stack/docker/placement.ts';
import { attachStack, startStack, type StartReport } from '../stack/docker/start.ts';
import type { RunningStack } from '../stack/docker/stack.ts';
import { forgetEnvironmentSecrets, secretsFile } from '../stack/secrets.ts';

export { DEFAULT_PROJECT };

export interface UpOptions {
  project?: string;
  profile: ProfileName;
  /** Services to run (their dependencies come along); default: the whole stack, laptop-only services included where they can run. */
  services?: readonly string[];
  replicas?: Readonly<Record<string, number>>;
  options?: Readonly<Record<string, string>>;
  /** Aborting stops `up` from creating further containers (Ctrl-C); `down` then removes what it started. */
  signal?: AbortSignal;
}

/**
 * `refstack up`: the stack as an environment. A second `up` is a no-op for every instance whose
 * configuration did not change; a different profile is refused until `down`.
 */
export function up(options: UpOptions): Promise<StartReport> {
  const services = options.services?.length ? options.services : STACK.map((s) => s.name);
  return startStack(
    { profile: options.profile, services, ...(options.replicas ? { replicas: options.replicas } : {}), ...(options.options ? { options: options.options } : {}) },
    environmentPlacement(options.project),
    options.signal ? { signal: options.signal } : {},
  );
}

/** The running environment, or an error saying how to start it. */
export async function attach(project = DEFAULT_PROJECT): Promise<RunningStack> {
  const stack = await attachStack(environmentPlacement(project));
  if (!stack) throw new Error(`no environment "${project}" is running: start it with \`refstack up${project === DEFAULT_PROJECT ? '' : ` --project ${project}`}\``);
  return stack;
}

/** Removes what `up` created for the project, and nothing else; with the volumes go the credentials that protected them. */
export async function down(project = DEFAULT_PROJECT, options: { keepData?: boolean } = {}): Promise<Removed> {
  environmentPlacement(project);
  const removed = await removeByLabels(projectFilter(project), { volumes: options.keepData ?? false });
  if (!options.keepData) forgetEnvironmentSecrets(project);
  return removed;
}

export interface InstanceStatus extends Pick<InstanceState, 'status' | 'health'> {
  instance: string;
  service: string;
  /** What the service says of itself (a Patroni role, a Redis master), or why it could not say. */
  detail: string;
}

/** Every instance's state, health and role. */
export async function status(stack: RunningStack): Promise<InstanceStatus[]> {
  return Promise.all(
    stack.all().map(async (i) => {
      const state = await i.state();
      // Docker reports `starting` until its first interval has passed: the health command itself answers sooner.
      if (state.health === 'starting' && state.running && !state.paused) {
        const probe = await i.exec(['sh', '-c', i.spec.health.command], { timeoutMs: 5_000 }).catch(() => undefined);
        if (probe?.exitCode === 0) state.health = 'healthy';
      }
      const detail = state.running && !state.paused && i.spec.describe ? await i.spec.describe(i, i.planned.ctx).catch((e: Error) => `? ${e.message.split('\n')[0]}`) : '';
      return { instance: i.name, service: i.service, status: state.status, health: state.health, detail };
    }),
  );
}

export function statusTable(statuses: InstanceStatus[]): string {
  const rows = [['instance', 'state', 'health', 'detail'], ...statuses.map((s) => [s.instance, s.status, s.health, s.detail])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ').trimEnd()).join('\n');
}

export interface Endpoint {
  name: string;
  url: string;
}

/** Every published port of the running stack, as a client on this machine reaches it (127.0.0.1 only). */
export async function endpoints(stack: RunningStack): Promise<Endpoint[]> {
  const rows = await Promise.all(
    stack.all().flatMap((i) =>
      i.spec.ports
        .filter((p) => p.publish)
        .map(async (p) => {
          const port = await i.hostPort(p.name).catch(() => undefined);
          const spec = portOf(i.spec, p.name);
          return { name: `${i.name} ${p.name}`, url: port === undefined ? '(not running)' : spec.http ? `http://127.0.0.1:${port}${spec.http}` : `127.0.0.1:${port}` };
        }),
    ),
  );
  return rows;
}

/** Connection strings with the environment's credentials (printed by `refstack env`, never written into the repository). */
export async function connectionVariables(stack: RunningStack): Promise<Record<string, string>> {
  const s = stack.secrets;
  const vars: Record<string, string> = {};
  if (stack.has('haproxy')) {
    const proxy = stack.first('haproxy');
    const pg = (port: number) => `postgres://postgres:${s.postgresSuperuser}@127.0.0.1:${port}/postgres`;
    vars.DATABASE_WRITE_URL = pg(await proxy.hostPort('write'));
    vars.DATABASE_READ_URL = pg(await proxy.hostPort('read'));
  }
  // One URL per node, comma-separated: what the sample app's AMQP_URL takes (it moves to the next when one fails).
  if (stack.has('rabbitmq')) vars.AMQP_URL = (await brokerCluster(stack).hostUrls()).join(',');
  if (stack.has(sentinel.name)) vars.REDIS_SENTINELS = (await Promise.all(stack.instances(sentinel.name).map(async (i) => `127.0.0.1:${await i.hostPort('sentinel')}`))).join(',');
  if (stack.has('nginx')) vars.BASE_URL = await stack.first('nginx').url('http');
  if (s.apiKeys.length) vars.API_KEYS = s.apiKeys.map((c) => c.key).join(',');
  vars.REFSTACK_SECRETS_FILE = secretsFile(stack.project);
  return vars;
}
