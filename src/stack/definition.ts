import type { ServiceSpec } from '../core/spec.ts';
import { alertReceiver } from '../../services/alert-receiver/spec.ts';
import { alertmanager } from '../../services/alertmanager/spec.ts';
import { containerNode } from '../../services/container-node/spec.ts';
import { elasticsearch } from '../../services/elasticsearch/spec.ts';
import { etcd } from '../../services/etcd/spec.ts';
import { grafana } from '../../services/grafana/spec.ts';
import { haproxy } from '../../services/haproxy/spec.ts';
import { jaeger } from '../../services/jaeger/spec.ts';
import { logShipper } from '../../services/log-shipper/spec.ts';
import { nginx } from '../../services/nginx/spec.ts';
import { nodeExporter } from '../../services/node-exporter/spec.ts';
import { opensearch } from '../../services/opensearch/spec.ts';
import { postgresExporter } from '../../services/postgres-exporter/spec.ts';
import { postgres } from '../../services/postgres/spec.ts';
import { pgbackrest } from '../../services/pgbackrest/spec.ts';
import { prometheus } from '../../services/prometheus/spec.ts';
import { rabbitmq } from '../../services/rabbitmq/spec.ts';
import { redisExporter } from '../../services/redis-exporter/spec.ts';
import { redis, sentinel } from '../../services/redis/spec.ts';
import { sampleApi, sampleWorker } from '../../services/sample-app/spec.ts';
import { toxiproxy } from '../../services/toxiproxy/spec.ts';

/**
 * The one stack: every service of the architecture, as `refstack up` runs it. The suites run subsets
 * of it (a service brings its dependencies), compose.yaml and the Kubernetes objects are rendered from
 * it. Laptop-only services run where their upstream image can be pulled.
 */
export const STACK: readonly ServiceSpec[] = [
  etcd,
  postgres,
  haproxy,
  postgresExporter,
  pgbackrest,
  redis,
  sentinel,
  redisExporter,
  rabbitmq,
  toxiproxy,
  sampleApi,
  sampleWorker,
  nginx,
  alertReceiver,
  alertmanager,
  prometheus,
  nodeExporter,
  containerNode,
  opensearch,
  logShipper,
  jaeger,
  grafana,
  elasticsearch,
];

export function serviceSpec(name: string, stack: readonly ServiceSpec[] = STACK): ServiceSpec {
  const found = stack.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service "${name}"; the stack has: ${stack.map((s) => s.name).join(', ')}`);
  return found;
}

/** The named services and everything they depend on, each after its dependencies. */
export function withDependencies(names: readonly string[], stack: readonly ServiceSpec[] = STACK): ServiceSpec[] {
  const ordered: ServiceSpec[] = [];
  const visiting = new Set<string>();
  const visit = (spec: ServiceSpec) => {
    if (ordered.includes(spec)) return;
    if (visiting.has(spec.name)) throw new Error(`dependency cycle through ${spec.name}`);
    visiting.add(spec.name);
    for (const dep of spec.dependsOn) visit(serviceSpec(dep, stack));
    visiting.delete(spec.name);
    ordered.push(spec);
  };
  for (const name of names) visit(serviceSpec(name, stack));
  return ordered;
}

/** Every service but the laptop-only ones: what runs on any machine. */
export const CORE_SERVICES: readonly string[] = STACK.filter((s) => !('pull' in s.image)).map((s) => s.name);
