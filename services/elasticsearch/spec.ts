import type { ServiceSpec } from '../../src/core/spec.ts';

const PORT = 9200;
/** Pinned upstream image, for laptops only (its server distribution is not used on this kind of machine). */
export const ELASTICSEARCH_IMAGE = 'docker.elastic.co/elasticsearch/elasticsearch:8.15.3';

export const elasticsearch: ServiceSpec = {
  name: 'elasticsearch',
  summary: "Elasticsearch (laptops): the plan's search tier, where its image can be pulled",
  image: { pull: ELASTICSEARCH_IMAGE, laptopOnly: true },
  replicas: 1,
  dependsOn: [],
  env: () => ({ 'discovery.type': 'single-node', 'xpack.security.enabled': 'false', ES_JAVA_OPTS: '-Xms512m -Xmx512m' }),
  ports: [{ name: 'http', container: PORT, publish: { env: [19200] }, http: '/' }],
  health: { command: `curl -fsS -o /dev/null http://127.0.0.1:${PORT}/_cluster/health`, startPeriodSeconds: 240 },
  volumes: [{ name: 'data', target: '/usr/share/elasticsearch/data' }],
};
