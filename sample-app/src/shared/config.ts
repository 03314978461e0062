import { deriveBudgets, readPromises, type Budgets } from './budgets.ts';
import { thresholds, type Thresholds } from './thresholds.ts';

/** One API client: its name (the metrics label), its key, and its rate limit in requests per second. */
export interface ApiClient {
  name: string;
  key: string;
  ratePerSecond: number;
}

export interface RedisConfig {
  /** redis://host:port/db, when not using Sentinel. */
  url?: string;
  sentinels?: Array<{ host: string; port: number }>;
  masterName: string;
  password?: string;
}

export interface Config {
  role: 'api' | 'worker';
  port: number;
  metricsPort: number;
  /** Writes: the Postgres primary, or the HA cluster's write endpoint. */
  databaseWriteUrl: string;
  /** Reads: a replica, or the HA cluster's read endpoint. Defaults to the write URL. */
  databaseReadUrl: string;
  dbPoolSize: number;
  redis: RedisConfig;
  /** AMQP_URL: one URL per broker node, comma-separated; a (re)connect tries them in turn. */
  amqpUrls: string[];
  elasticsearchUrl?: string;
  /** The search tier (OpenSearch or Elasticsearch) GET /v1/search/logs reads: SEARCH_URL. */
  searchUrl?: string;
  clients: ApiClient[];
  logFormat: 'json' | 'ecs';
  logLevel: string;
  /** Off by default: lets the alert suites make the API slow or failing for real (see README). */
  faultsEnabled: boolean;
  /** Seconds answering (with Connection: close, readiness 503) after SIGTERM before closing the listener. */
  shutdownDelayMs: number;
  thresholds: Thresholds;
  /** Timeouts, retries and backoffs derived from the dependencies' timing promises (REQUEST_BUDGET_MS, DB_FAILOVER_BUDGET_MS, …). */
  budgets: Budgets;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Reads the process environment; every missing or malformed value is named in one error. */
export function loadConfig(role: Config['role'], env: Env = process.env): Config {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (!value) problems.push(`${name} is required`);
    return value ?? '';
  };
  const int = (name: string, fallback: number, min = 0, max = 65_535 * 1000): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const url = (name: string, protocols: string[], value: string): string => {
    if (!value) return value;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) problems.push(`${name} must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
    } catch {
      problems.push(`${name} is not a URL`);
    }
    return value;
  };

  const databaseWriteUrl = url('DATABASE_WRITE_URL', ['postgres:', 'postgresql:'], required('DATABASE_WRITE_URL'));
  const databaseReadUrl = url('DATABASE_READ_URL', ['postgres:', 'postgresql:'], env.DATABASE_READ_URL || databaseWriteUrl);
  const amqpUrls = required('AMQP_URL').split(',').map((u) => u.trim()).filter(Boolean).map((u) => url('AMQP_URL', ['amqp:', 'amqps:'], u));
  const redis = parseRedis(env, problems);
  const clients = role === 'api' ? parseClients(env.API_CLIENTS ?? '', problems) : [];
  const logFormat = env.LOG_FORMAT ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'ecs') problems.push(`LOG_FORMAT must be json or ecs, got "${logFormat}"`);
  const budgets = deriveBudgets(readPromises(env, problems));
  const searchUrl = env.SEARCH_URL ? url('SEARCH_URL', ['http:', 'https:'], env.SEARCH_URL) : undefined;
  const elasticsearchUrl = env.ELASTICSEARCH_URL ? url('ELASTICSEARCH_URL', ['http:', 'https:'], env.ELASTICSEARCH_URL) : undefined;

  const config: Config = {
    role,
    port: int('PORT', 8080, 1, 65_535),
    metricsPort: int('METRICS_PORT', 9464, 1, 65_535),
    databaseWriteUrl,
    databaseReadUrl,
    dbPoolSize: int('DB_POOL_SIZE', 10, 1, 200),
    redis,
    amqpUrls,
    ...(elasticsearchUrl ? { elasticsearchUrl } : {}),
    ...(searchUrl ? { searchUrl } : {}),
    clients,
    logFormat: logFormat === 'ecs' ? 'ecs' : 'json',
    logLevel: env.LOG_LEVEL ?? 'info',
    faultsEnabled: env.SAMPLE_APP_FAULTS === '1',
    shutdownDelayMs: int('SHUTDOWN_DELAY_MS', 0, 0, 60_000),
    thresholds,
    budgets,
  };
  if (problems.length) throw new ConfigError(`sample-app ${role}: bad configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}

function parseRedis(env: Env, problems: string[]): RedisConfig {
  const masterName = env.REDIS_MASTER_NAME ?? '';
  const password = env.REDIS_PASSWORD || undefined;
  if (env.REDIS_SENTINELS) {
    if (!masterName) problems.push('REDIS_MASTER_NAME is required with REDIS_SENTINELS (the name the Sentinels monitor the master by)');
    const sentinels = env.REDIS_SENTINELS.split(',').map((entry) => {
      const [host, port] = entry.trim().split(':');
      const portNumber = Number(port ?? 26379);
      if (!host || !Number.isInteger(portNumber)) problems.push(`REDIS_SENTINELS entry "${entry}" must be host:port`);
      return { host: host ?? '', port: portNumber };
    });
    return { sentinels, masterName, ...(password ? { password } : {}) };
  }
  if (!env.REDIS_URL) problems.push('REDIS_URL or REDIS_SENTINELS is required');
  return { url: env.REDIS_URL ?? '', masterName, ...(password ? { password } : {}) };
}

/** API_CLIENTS="web:key-one,mobile:key-two:50" → name, key and an optional per-second rate limit. */
export function parseClients(raw: string, problems: string[] = []): ApiClient[] {
  const clients: ApiClient[] = [];
  for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [name, key, rate] = entry.split(':');
    if (!name || !/^[a-z][a-z0-9_-]{0,31}$/.test(name)) problems.push(`API_CLIENTS: client name "${name ?? ''}" must match [a-z][a-z0-9_-]{0,31}`);
    if (!key || key.length < 8) problems.push(`API_CLIENTS: the key of "${name ?? ''}" must have at least 8 characters`);
    const ratePerSecond = rate === undefined ? thresholds.rateLimitPerSecond : Number(rate);
    if (!Number.isInteger(ratePerSecond) || ratePerSecond < 1) problems.push(`API_CLIENTS: the rate of "${name ?? ''}" must be a positive integer`);
    clients.push({ name: name ?? '', key: key ?? '', ratePerSecond });
  }
  if (!clients.length) problems.push('API_CLIENTS must name at least one client (name:key[:ratePerSecond],…)');
  const names = new Set(clients.map((c) => c.name));
  if (names.size !== clients.length) problems.push('API_CLIENTS: client names must be unique');
  return clients;
}
