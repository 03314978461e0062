import type { Component, DashboardPanel } from './monitoring.ts';
import type { Profile, Severity } from './profiles.ts';

/**
 * The typed definition of one service: everything the stack's renderers (`refstack up`, the suites'
 * ephemeral stacks, compose.yaml, Kubernetes objects) need to run it, written once in
 * services/<folder>/spec.ts. A spec names other services only by their service and port names;
 * the stack resolves them (see {@link SpecContext}).
 */
export interface ServiceSpec {
  /** The service name: what dependsOn, addresses and results refer to (`postgres`, `sample-api`). */
  name: string;
  /** One line: what it is and what it is for in this architecture. */
  summary: string;
  /** A refstack image built from services/<build>/, or an upstream image that must be pulled (laptop-only). */
  image: { build: string } | { pull: string; laptopOnly: true };
  /** How many instances the stack runs unless the stack asks for another count within `scale`. */
  replicas: number;
  /** The instance counts a stack may ask for (default: exactly `replicas`). */
  scale?: { min: number; max: number };
  /**
   * One instance beside each instance of that service (an exporter per Postgres member): the count follows
   * it and `replicas`/`scale` are not used; instance `index` watches that service's instance `index`.
   */
  perInstanceOf?: string;
  /** Stack options this service reads, key → what it does (`refstack up --set key=value`). */
  options?: Readonly<Record<string, string>>;
  /** Instance names, one per replica: `pg1`, `sample-api-1`; defaults to the service name for one, `<name>-<n>` for more. */
  instanceName?(index: number): string;
  /** Services whose every instance must be healthy before any instance of this one starts. */
  dependsOn: readonly string[];
  /** Services started (and healthy) before this one when the stack runs them, without bringing them along (Toxiproxy in front of the API's dependencies). */
  after?: readonly string[];
  /**
   * Services that stop before this one when the whole stack stops gracefully (`docker compose down`): the
   * pgBackRest repository host outlives the Postgres members so the WAL of their shutdown checkpoint is
   * archived, not retried against a vanished host until the grace period kills them. Compose orders stops
   * only through depends_on, so there those services depend on this one (started), and this one waits for
   * them by itself.
   */
  stopsAfter?: readonly string[];
  /** Instances after the first wait for the first to be healthy (it bootstraps: a Patroni leader, a Redis master). */
  firstInstanceBootstraps?: boolean;
  /** Network aliases every instance carries besides its own name (e.g. the service name itself). */
  aliases?(ctx: SpecContext): string[];
  /** The container's hostname: set where the process names itself after it (RabbitMQ's node name). */
  hostname?: boolean;
  entrypoint?: readonly string[];
  command?(ctx: SpecContext): string[];
  env?(ctx: SpecContext): Record<string, string>;
  /** Files written into the container before it starts (configuration rendered for this stack). */
  files?(ctx: SpecContext): FileSpec[];
  ports: readonly PortSpec[];
  health: HealthSpec;
  /** Named volumes, one per instance: kept by `refstack down --keep-data`. */
  volumes?: readonly VolumeSpec[];
  stopSignal?: string;
  /** Seconds a graceful stop may take before the engine kills the container. */
  stopGraceSeconds?: number;
  /** `on-failure`: restarted when its process exits non-zero, as a process supervisor would. */
  restart?: 'on-failure';
  /** Metrics endpoints Prometheus scrapes: one target per instance. */
  scrape?: readonly ScrapeSpec[];
  /** Its alert rules and their promtool cases (rendered into the rule file named after the component). */
  alerts?: readonly Component[];
  /** Its panels on the plan's dashboards. */
  panels?: readonly DashboardPanel[];
  /** A CPU quota (in CPUs, e.g. 0.25, also reserved: the highest CPU weight) and a memory limit (MiB, no swap) per instance: a machine of that size. */
  resources?: { cpus: number; memoryMiB: number };
  /** `uid:gid` the container runs as instead of the image's user (a log shipper that must read the engine's files as root). */
  user?: string;
  /** Linux capabilities removed from the container (`ALL`: a process that needs none). */
  capDrop?: readonly string[];
  /**
   * Where the engine's container log folder (`<Docker root>/containers`, every container's json-file log)
   * is mounted read-only: for a log shipper that tails the stack's logs. Every container of the stack
   * logs through the json-file driver, each line tagged `<project>/<service>` (see the runtime's logConfig).
   */
  engineLogs?: string;
  /** Small in-memory filesystems: mount point → tmpfs options (`size=16m`). */
  tmpfs?: Readonly<Record<string, string>>;
  /** Fault verbs this service supports beyond the ones every container has (see {@link CONTAINER_FAULTS}). */
  faults?: readonly FaultSpec[];
  /** One line on the instance's role or state, for `refstack status` (a Patroni role, a Redis master). */
  describe?(instance: InstanceProbe, ctx: SpecContext): Promise<string>;
  /** Runs once the instance is healthy, on every start of the stack (must be idempotent). */
  afterHealthy?(instance: InstanceProbe, ctx: SpecContext): Promise<void>;
}

/** What a spec's hooks may do with a running instance. */
export interface InstanceProbe {
  name: string;
  /** The host port (on 127.0.0.1) published for one of the spec's ports. */
  hostPort(port: string): Promise<number>;
  exec(command: string[], options?: { user?: string }): Promise<ExecResult>;
}

export interface InstanceState {
  running: boolean;
  paused: boolean;
  /** Docker's health status ('none' without a health check, 'missing' without a container). */
  health: 'healthy' | 'unhealthy' | 'starting' | 'none' | 'missing';
  status: string;
  exitCode: number;
  restarts: number;
  /** Whether the instance is attached to its stack's service network (false after `isolate`). */
  attached: boolean;
}

/**
 * A running instance, as testcontainers' Started* handles are: ports on the host, the address inside
 * the stack, exec and logs, and the fault verbs every container supports ({@link CONTAINER_FAULTS}).
 * Service folders build their connection helpers (a Patroni cluster, a Sentinel set) on this.
 */
export interface InstanceHandle extends InstanceProbe {
  readonly service: string;
  readonly container: string;
  /** http://127.0.0.1:<host port><path>. */
  url(port: string, path?: string): Promise<string>;
  /** host:port inside the stack. */
  address(port: string): string;
  /** A shell command; fails with its output when it exits non-zero, else resolves with its stdout. */
  sh(script: string, options?: { user?: string; timeoutMs?: number }): Promise<string>;
  logs(options?: { tail?: number; sinceUnixSeconds?: number }): Promise<string>;
  state(): Promise<InstanceState>;
  /** Polls the health command until it passes (bounded). */
  waitReady(timeoutMs?: number): Promise<void>;
  kill(signal?: string): Promise<void>;
  stop(graceSeconds?: number): Promise<void>;
  start(): Promise<void>;
  restart(graceSeconds?: number): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  /**
   * Cut off from the stack's network. With `yieldAddress`, a placeholder container takes the address it had,
   * so `recover()` reattaches it at a *different* address (and removes the placeholder).
   */
  isolate(options?: { yieldAddress?: boolean }): Promise<void>;
  /** Undo any fault: reattach, unfreeze, or start again. */
  recover(): Promise<void>;
  /** Files written into the container, running or stopped (tar upload; owner root); they last until it is recreated. */
  writeFiles(files: FileSpec[]): Promise<void>;
  /**
   * A replaced disk: every named volume of the stopped instance emptied (its mount points kept, with their
   * owner and mode) by a throw-away container of its image. Fails while the instance runs.
   */
  emptyVolumes(): Promise<void>;
}

/** A running stack as service helpers see it. */
export interface StackHandle {
  readonly project: string;
  readonly profile: Profile;
  readonly secrets: Secrets;
  services(): string[];
  has(service: string): boolean;
  instances(service: string): InstanceHandle[];
  first(service: string): InstanceHandle;
  instance(name: string): InstanceHandle;
  /** A stack option as the stack was started with it. */
  option(key: string): string | undefined;
  /** The X-API-Key of a client of the sample API (the first one by default). */
  apiKey(client?: string): string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they were interleaved. */
  output: string;
}

export interface PortSpec {
  /** What other specs and helpers call it: `pg`, `rest`, `write`, `metrics`. */
  name: string;
  container: number;
  /**
   * Published on the host's 127.0.0.1: at the `env` ports (one per instance) in the default `refstack up`
   * environment, at ports the engine picks otherwise. Absent: reachable inside the stack only.
   */
  publish?: { env?: readonly number[] };
  /** An HTTP endpoint worth printing in the endpoint table (path appended to http://127.0.0.1:<port>). */
  http?: string;
}

export interface HealthSpec {
  /** A shell command run inside the container; exit status 0 means healthy. */
  command: string;
  /** Seconds a starting instance may take before it counts as failed. */
  startPeriodSeconds?: number;
}

export interface VolumeSpec {
  name: string;
  target: string;
  /**
   * A size in MiB makes the volume an in-memory filesystem of that size (a stack option decides): it can
   * be filled to the brim in a bounded time without touching the host's disk, and its content lives only
   * as long as the container runs. Undefined: an ordinary volume on the engine's disk.
   */
  sizeMiB?(ctx: SpecContext): number | undefined;
  /** tmpfs ownership options of a sized volume (`uid=100,gid=102,mode=0700`): its root belongs to root otherwise. */
  tmpfsOwner?: string;
}

export interface FileSpec {
  path: string;
  content: string;
  mode?: number;
}

export interface ScrapeSpec {
  job: string;
  /** The name of one of the spec's ports. */
  port: string;
  path?: string;
  /**
   * What losing sight of the job means: the severity of its scrape-health alert (`up == 0`, or no
   * target at all) and, in one sentence, what nobody sees while it lasts (the alert's description).
   * `coveredBy`: an alert of the service's own that already fires on exactly that (DatabaseDown for
   * the exporter beside each member), so the family adds none: one fault, one page.
   */
  down: { severity: Severity; blind: string; coveredBy?: string };
}

export interface FaultSpec {
  verb: string;
  summary: string;
}

/** Every container supports these; a service spec adds its own (a Postgres crash, a broker alarm…). */
export const CONTAINER_FAULTS: readonly FaultSpec[] = [
  { verb: 'kill', summary: 'SIGKILL the container: a node loss' },
  { verb: 'stop', summary: 'graceful stop (the image stop signal, then SIGKILL after the grace period)' },
  { verb: 'restart', summary: 'stop, then start again' },
  { verb: 'pause', summary: 'freeze every process (cgroup freezer): connections stay open, nothing answers' },
  { verb: 'isolate', summary: "disconnect from the stack's network: peers lose it, the host still reaches its published ports" },
  { verb: 'partition', summary: 'isolate several instances at once (a zone): each loses the others and the rest of the stack' },
  { verb: 'flap', summary: "cut the instance's link to the stack's network and restore it, in a cycle (bursts of total loss, by Docker disconnect/connect)" },
  { verb: 'dns-failure', summary: "the instance's resolver points at a closed port: new connections by name fail, open ones go on" },
  { verb: 'cpu-hog', summary: 'busy loops inside the container, bounded by timeout(1)' },
  { verb: 'memory-hog', summary: 'a memory limit on the container for the experiment and a hog inside it: the kernel OOM-kills the hog' },
  { verb: 'disk-fill', summary: 'fallocate a file on a volume until its filesystem is full (size-limited volumes only)' },
];

/** What a spec's functions are given: the instance being rendered and a view of the whole stack. */
export interface SpecContext {
  /** This instance's name (`pg2`) and position among its service's instances. */
  instance: string;
  index: number;
  profile: Profile;
  secrets: Secrets;
  /** `host:port` of a service's port as seen from inside the stack: its first instance. */
  address(service: string, port: string): string;
  /** `host:port` of every instance of a service. */
  addresses(service: string, port: string): string[];
  /** Instance names of a service in this stack (empty when the stack does not run it). */
  instances(service: string): string[];
  /** Whether this stack runs the service (a subset may leave optional neighbours out). */
  has(service: string): boolean;
  /** Every service in this stack with its instances (Prometheus renders its scrape targets from it). */
  services(): ReadonlyArray<{ spec: ServiceSpec; instances: string[] }>;
  /** Stack options given by the caller (`refstack up --set key=value`, or a suite). */
  option(key: string): string | undefined;
}

/**
 * Credentials of one stack: generated for every ephemeral stack, generated once and kept for an environment.
 * Values are URL-safe (base64url), so specs put them into connection URLs as they are.
 */
export interface Secrets {
  postgresSuperuser: string;
  postgresReplication: string;
  postgresRewind: string;
  rabbitmqUser: string;
  rabbitmqPassword: string;
  rabbitmqCookie: string;
  apiKeys: ReadonlyArray<{ name: string; key: string; ratePerSecond?: number }>;
  /**
   * The backup tier's repository passphrase, CA and per-host TLS identities (services/pgbackrest/tls.ts):
   * made only for stacks that run it (an RSA key per host costs ~0.25 s), kept with an environment's other credentials.
   */
  backup?: BackupSecrets;
}

/** What {@link Secrets.backup} holds; certificates and keys are base64 of their PEM text. */
export interface BackupSecrets {
  cipherPass: string;
  ca: string;
  identities: Record<string, { cert: string; key: string }>;
}

export function instanceNames(spec: ServiceSpec, replicas = spec.replicas): string[] {
  return Array.from({ length: replicas }, (_, i) => spec.instanceName?.(i) ?? (replicas === 1 ? spec.name : `${spec.name}-${i + 1}`));
}

export function port(spec: ServiceSpec, name: string): PortSpec {
  const found = spec.ports.find((p) => p.name === name);
  if (!found) throw new Error(`service ${spec.name} has no port named "${name}" (ports: ${spec.ports.map((p) => p.name).join(', ')})`);
  return found;
}

/** A health probe for images without curl: bash opens a TCP connection. */
export const tcpProbe = (port: number) => `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`;

/** An HTTP probe for images with curl. */
export const httpProbe = (port: number, path: string) => `curl -fsS -o /dev/null http://127.0.0.1:${port}${path}`;
