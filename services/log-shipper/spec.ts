import type { ServiceSpec, SpecContext } from '../../src/core/spec.ts';
import { SEARCH_PORT } from '../opensearch/spec.ts';

/** The search tier a stack's logs and search endpoint use: the laptop's Elasticsearch when the stack runs it, else OpenSearch. */
export function searchService(ctx: SpecContext): string {
  return ctx.has('elasticsearch') ? 'elasticsearch' : 'opensearch';
}

/**
 * rsyslog tailing every container's json-file log of this stack (services/log-shipper/README.md) into the
 * search tier, with the index template, ingest pipeline and retention loop. Nothing depends on it and it
 * depends on nothing: it reads what was written before it started or while it was down, and buffers on
 * disk while the search tier is away.
 */
export const logShipper: ServiceSpec = {
  name: 'log-shipper',
  summary: 'rsyslog: every container\'s log lines into the search tier (index template, ingest pipeline, retention)',
  image: { build: 'log-shipper' },
  replicas: 1,
  dependsOn: [],
  options: { 'logs.retention-seconds': 'delete log indices older than this (default: the profile\'s, test 600 s, production 7 days)' },
  // The engine's log files are root's (mode 0640): root, with every capability dropped, the folder read-only.
  user: '0:0',
  capDrop: ['ALL'],
  engineLogs: '/var/lib/docker/containers',
  env: (ctx) => ({
    SEARCH_HOST: ctx.has(searchService(ctx)) ? ctx.address(searchService(ctx), 'http').split(':')[0]! : 'opensearch',
    SEARCH_PORT: String(SEARCH_PORT),
    RETENTION_SECONDS: ctx.option('logs.retention-seconds') ?? String(ctx.profile.logRetention.seconds),
    MAINTAIN_INTERVAL_S: String(ctx.profile.logRetention.intervalSeconds),
  }),
  ports: [],
  health: { command: 'kill -0 "$(cat /tmp/rsyslogd.pid)"', startPeriodSeconds: 60 },
  volumes: [{ name: 'queue', target: '/var/lib/log-shipper' }],
  stopSignal: 'SIGTERM',
  stopGraceSeconds: 10,
  restart: 'on-failure',
};
