import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from '../core/paths.ts';
import type { ProfileName } from '../core/profiles.ts';
import type { Secrets } from '../core/spec.ts';
import { STACK } from './definition.ts';
import { createOptions, instanceFiles } from './docker/container.ts';
import { containerName, environmentPlacement, DEFAULT_PROJECT, serviceNetwork } from './docker/placement.ts';
import { planStack } from './plan.ts';
import { DEFAULT_CLIENTS, parseClients } from './secrets.ts';
import { backupTlsHosts } from '../../services/pgbackrest/spec.ts';

/**
 * compose/compose.yaml (production profile) and compose/compose.test.yaml, rendered from the one stack
 * exactly as `refstack up` creates its containers: same images, commands, environment, ports, health
 * checks, volumes and start order; each instance's configuration files under compose/generated/.
 * Credentials are not in any file: every secret is a `${REFSTACK_…}` variable, filled from the env file
 * `refstack env --compose` writes (the environment's own generated credentials).
 */
export const COMPOSE_DIR = join(ROOT, 'compose');

export const composeFileName = (profile: ProfileName) => (profile === 'production' ? 'compose.yaml' : `compose.${profile}.yaml`);

/** The secrets as compose variables: `${REFSTACK_POSTGRES_SUPERUSER}` where the value would be. */
export function secretVariables(clients = DEFAULT_CLIENTS): Secrets {
  const v = (name: string) => `\${${name}:?run refstack env --compose > compose/.env}`;
  return {
    postgresSuperuser: v('REFSTACK_POSTGRES_SUPERUSER'),
    postgresReplication: v('REFSTACK_POSTGRES_REPLICATION'),
    postgresRewind: v('REFSTACK_POSTGRES_REWIND'),
    rabbitmqUser: v('REFSTACK_RABBITMQ_USER'),
    rabbitmqPassword: v('REFSTACK_RABBITMQ_PASSWORD'),
    rabbitmqCookie: v('REFSTACK_RABBITMQ_COOKIE'),
    apiKeys: parseClients(clients).map((c) => ({ ...c, key: v(`REFSTACK_API_KEY_${c.name.toUpperCase().replace(/-/g, '_')}`) })),
    backup: {
      cipherPass: v('REFSTACK_BACKUP_CIPHER_PASS'),
      ca: v('REFSTACK_BACKUP_TLS_CA'),
      identities: Object.fromEntries(backupTlsHosts().map((h) => [h, { cert: v(backupVariable('CERT', h)), key: v(backupVariable('KEY', h)) }])),
    },
  };
}

const backupVariable = (what: 'CERT' | 'KEY', host: string) => `REFSTACK_BACKUP_TLS_${what}_${host.toUpperCase().replace(/-/g, '_')}`;

/** The env file compose reads: the real values of {@link secretVariables}. */
export function composeEnvFile(secrets: Secrets): string {
  const line = (name: string, value: string) => `${name}=${value}`;
  return [
    '# Credentials of the refstack environment (.refstack/refstack/secrets.json). Keep this file out of git.',
    line('REFSTACK_POSTGRES_SUPERUSER', secrets.postgresSuperuser),
    line('REFSTACK_POSTGRES_REPLICATION', secrets.postgresReplication),
    line('REFSTACK_POSTGRES_REWIND', secrets.postgresRewind),
    line('REFSTACK_RABBITMQ_USER', secrets.rabbitmqUser),
    line('REFSTACK_RABBITMQ_PASSWORD', secrets.rabbitmqPassword),
    line('REFSTACK_RABBITMQ_COOKIE', secrets.rabbitmqCookie),
    ...secrets.apiKeys.map((c) => line(`REFSTACK_API_KEY_${c.name.toUpperCase().replace(/-/g, '_')}`, c.key)),
    ...(secrets.backup
      ? [
          line('REFSTACK_BACKUP_CIPHER_PASS', secrets.backup.cipherPass),
          line('REFSTACK_BACKUP_TLS_CA', secrets.backup.ca),
          ...Object.entries(secrets.backup.identities).flatMap(([h, id]) => [line(backupVariable('CERT', h), id.cert), line(backupVariable('KEY', h), id.key)]),
        ]
      : []),
    '',
  ].join('\n');
}

/** Every file compose needs for one profile, keyed by path relative to the repository root. */
export function renderCompose(profile: ProfileName): Map<string, string> {
  const placement = { ...environmentPlacement(DEFAULT_PROJECT), owner: 'env' as const, runId: `env-${DEFAULT_PROJECT}` };
  const plan = planStack({ profile, services: STACK.map((s) => s.name) }, secretVariables());
  const out = new Map<string, string>();
  const volumes = new Set<string>();
  const services: Record<string, unknown> = {};
  for (const inst of plan.instances) {
    const o = createOptions(inst, plan, placement);
    const files = instanceFiles(inst);
    for (const f of files) {
      if (f.content.includes('${REFSTACK_')) throw new Error(`${inst.name}: ${f.path} would hold a credential; pass it through the environment instead`);
      out.set(relative(ROOT, generatedPath(profile, inst.name, f.path)), f.content);
    }
    for (const m of o.HostConfig?.Mounts ?? []) if (m.Source && m.Type === 'volume') volumes.add(m.Source);
    const host = o.HostConfig ?? {};
    const ports = Object.entries(host.PortBindings ?? {}).flatMap(([containerPort, bindings]) =>
      (bindings as Array<{ HostIp: string; HostPort: string }>).map((b) => `${b.HostIp}:${b.HostPort}:${containerPort.replace('/tcp', '')}`),
    );
    const health = o.Healthcheck!;
    const seconds = (ns: number | undefined) => `${(ns ?? 0) / 1e9}s`;
    const first = plan.instancesOf(inst.spec.name)[0]!;
    const instancesOf = (services: readonly string[]) => services.flatMap((d) => plan.instancesOf(d).map((i) => i.name));
    const healthy = [
      ...instancesOf(inst.spec.dependsOn.filter((d) => !inst.spec.stopsAfter?.includes(d))),
      ...(inst.spec.firstInstanceBootstraps && inst.index > 0 ? [first.name] : []),
    ];
    const outlivedBy = instancesOf(plan.specs.filter((s) => s.stopsAfter?.includes(inst.spec.name)).map((s) => s.name));
    const dependsOn = [...healthy.map((d) => [d, { condition: 'service_healthy' }] as const), ...outlivedBy.map((d) => [d, { condition: 'service_started' }] as const)];
    services[inst.name] = {
      image: o.Image,
      container_name: containerName(placement, inst.name),
      ...('pull' in inst.spec.image ? { profiles: ['laptop'] } : {}),
      ...(o.Hostname ? { hostname: o.Hostname } : {}),
      ...(o.User ? { user: o.User } : {}),
      ...(host.CapDrop?.length ? { cap_drop: host.CapDrop } : {}),
      ...(host.LogConfig?.Type ? { logging: { driver: host.LogConfig.Type, options: host.LogConfig.Config ?? {} } } : {}),
      ...(o.Entrypoint ? { entrypoint: o.Entrypoint } : {}),
      ...(o.Cmd ? { command: (o.Cmd as string[]).map(escapeDollars) } : {}),
      ...(o.Env?.length ? { environment: Object.fromEntries(o.Env.map((e) => [e.slice(0, e.indexOf('=')), escapeDollars(e.slice(e.indexOf('=') + 1))])) } : {}),
      ...(o.StopSignal ? { stop_signal: o.StopSignal } : {}),
      ...(o.StopTimeout ? { stop_grace_period: `${o.StopTimeout}s` } : {}),
      ...(host.RestartPolicy?.Name ? { restart: `${host.RestartPolicy.Name}:${host.RestartPolicy.MaximumRetryCount}` } : {}),
      ...(ports.length ? { ports } : {}),
      ...(host.NanoCpus ? { cpus: host.NanoCpus / 1e9, cpu_shares: host.CpuShares } : {}),
      ...(host.Memory ? { mem_limit: host.Memory, memswap_limit: host.MemorySwap ?? host.Memory } : {}),
      ...(host.Tmpfs ? { tmpfs: Object.entries(host.Tmpfs).map(([path, opts]) => `${path}:${opts}`) } : {}),
      ...((host.Mounts?.length ?? 0) + files.length
        ? {
            volumes: [
              ...(host.Mounts ?? []).map((m) => ({ type: m.Type ?? 'volume', source: m.Source, target: m.Target, ...(m.ReadOnly ? { read_only: true } : {}) })),
              ...files.map((f) => ({ type: 'bind', source: `./${relative(COMPOSE_DIR, generatedPath(profile, inst.name, f.path))}`, target: f.path, read_only: true })),
            ],
          }
        : {}),
      networks: { default: { aliases: o.NetworkingConfig?.EndpointsConfig?.[serviceNetwork(placement)]?.Aliases ?? [inst.name] } },
      healthcheck: { test: (health.Test ?? []).map(escapeDollars), interval: seconds(health.Interval), timeout: seconds(health.Timeout), retries: health.Retries, start_period: seconds(health.StartPeriod) },
      ...(dependsOn.length ? { depends_on: Object.fromEntries(dependsOn) } : {}),
    };
  }
  const header = [
    `# Generated by \`refstack generate\` from the one stack (src/stack/definition.ts), ${profile} profile. Do not edit.`,
    '# The same containers `refstack up` creates. Credentials come from compose/.env:',
    '#   refstack env --compose > compose/.env',
    `#   docker compose -f compose/${composeFileName(profile)} up -d --wait        (add --profile laptop for Grafana and Elasticsearch)`,
    '# Build the refstack/* images first: `npm run setup` or `refstack images build`.',
    '',
  ].join('\n');
  const doc = { name: DEFAULT_PROJECT, services, networks: { default: { name: serviceNetwork(placement) } }, volumes: Object.fromEntries([...volumes].sort().map((v) => [v, { name: v }])) };
  out.set(relative(ROOT, join(COMPOSE_DIR, composeFileName(profile))), header + stringify(doc, { lineWidth: 0 }));
  return out;
}

function generatedPath(profile: ProfileName, instance: string, path: string): string {
  return join(COMPOSE_DIR, 'generated', profile, instance, path.replace(/^\//, ''));
}

/** compose interpolates `$`: a literal dollar is written `$$`, except in the `${REFSTACK_…}` variables meant for it. */
const escapeDollars = (value: string) => value.replace(/\$(?!\{REFSTACK_)/g, '$$$$');
