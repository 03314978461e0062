import type { ServiceSpec } from '../../src/core/spec.ts';

export const OTLP_HTTP_PORT = 4318;

/**
 * Jaeger v2 all-in-one (services/jaeger/README.md): OTLP in, traces in memory, the query API the UI uses
 * (`/api/traces?service=…`). Exporters drop spans while it is down; nothing depends on it.
 */
export const jaeger: ServiceSpec = {
  name: 'jaeger',
  summary: 'Jaeger (OTLP): traces of the API and worker, nginx → API → Postgres/Redis → RabbitMQ → worker',
  image: { build: 'jaeger' },
  replicas: 1,
  dependsOn: [],
  env: (ctx) => ({ JAEGER_MAX_TRACES: ctx.profile.name === 'test' ? '20000' : '100000' }),
  ports: [
    { name: 'otlp-grpc', container: 4317 },
    { name: 'otlp-http', container: OTLP_HTTP_PORT },
    { name: 'query', container: 16686, publish: { env: [16686] }, http: '/api/services' },
    { name: 'metrics', container: 8888 },
  ],
  health: { command: 'curl -fsS -o /dev/null http://127.0.0.1:13133/status', startPeriodSeconds: 60 },
  stopSignal: 'SIGTERM',
  stopGraceSeconds: 5,
};
