import type { ServiceSpec } from '../../src/core/spec.ts';

export const SEARCH_PORT = 9200;

/**
 * OpenSearch 2.19, built from Maven artefacts (services/opensearch/README.md): the search tier that speaks
 * the Elasticsearch API, here and on laptops. One node, no security plugin (reached only on the stack's
 * network and 127.0.0.1), 512 MB heap, runs as uid 10200.
 */
export const opensearch: ServiceSpec = {
  name: 'opensearch',
  summary: 'OpenSearch (Elasticsearch API): log indices and the API\'s search endpoint',
  image: { build: 'opensearch' },
  replicas: 1,
  dependsOn: [],
  // A shared machine's disk may sit above the default 90 % watermark: logs must still be writable.
  command: () => ['-Ecluster.routing.allocation.disk.watermark.low=97%', '-Ecluster.routing.allocation.disk.watermark.high=98%', '-Ecluster.routing.allocation.disk.watermark.flood_stage=99%'],
  // Test profile: the JIT's first tier only and one GC thread each start the JVM in about half the CPU time on
  // a shared 2-core machine (search speed is not what the suites measure).
  env: (ctx) => ({ OPENSEARCH_JAVA_OPTS: ctx.profile.name === 'test' ? '-Xms384m -Xmx384m -XX:TieredStopAtLevel=1 -XX:ParallelGCThreads=1 -XX:ConcGCThreads=1' : '-Xms512m -Xmx512m' }),
  ports: [{ name: 'http', container: SEARCH_PORT, publish: { env: [19200] }, http: '/' }],
  health: { command: `curl -fsS -o /dev/null 'http://127.0.0.1:${SEARCH_PORT}/_cluster/health?wait_for_status=yellow&timeout=2s'`, startPeriodSeconds: 300 },
  volumes: [{ name: 'data', target: '/var/lib/opensearch' }],
  stopSignal: 'SIGTERM',
  stopGraceSeconds: 15,
};
