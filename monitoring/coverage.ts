/**
 * The plan's metric lists ("Prometheus Metrics": API, Database, System) mapped to the series that
 * carry them in refstack, plus the exporter and business series the alerts and dashboards use.
 * The live suite asserts every `series` exists in Prometheus.
 */
export interface CoverageEntry {
  list: 'API' | 'Database' | 'System' | 'Cache' | 'Queue' | 'Business' | 'Exporter';
  /** The name in the plan (or what it is, for series the plan does not list). */
  plan: string;
  /** Who exposes it. */
  source: 'sample-api' | 'sample-worker' | 'postgres_exporter' | 'redis_exporter' | 'rabbitmq' | 'node_exporter';
  /** Metric names in Prometheus that together carry it. */
  series: string[];
}

export const METRIC_COVERAGE: CoverageEntry[] = [
  { list: 'API', plan: 'http_requests_total', source: 'sample-api', series: ['http_requests_total'] },
  { list: 'API', plan: 'http_request_duration_seconds', source: 'sample-api', series: ['http_request_duration_seconds_bucket', 'http_request_duration_seconds_count'] },
  { list: 'API', plan: 'http_requests_in_progress', source: 'sample-api', series: ['http_requests_in_progress'] },
  { list: 'API', plan: 'errors_total', source: 'sample-api', series: ['errors_total'] },
  { list: 'Database', plan: 'connections_used', source: 'sample-api', series: ['connections_used', 'pg_stat_activity_count'] },
  { list: 'Database', plan: 'query_duration', source: 'sample-api', series: ['query_duration_bucket'] },
  { list: 'Database', plan: 'slow_queries', source: 'sample-api', series: ['slow_queries'] },
  { list: 'Database', plan: 'replication_lag', source: 'postgres_exporter', series: ['pg_replication_lag_seconds', 'replication_lag'] },
  { list: 'Database', plan: 'database up', source: 'postgres_exporter', series: ['pg_up'] },
  { list: 'Database', plan: 'backup status (WAL archiving)', source: 'postgres_exporter', series: ['pg_stat_archiver_last_archive_age', 'pg_stat_archiver_failed_count'] },
  { list: 'System', plan: 'cpu_usage', source: 'node_exporter', series: ['node_cpu_seconds_total'] },
  { list: 'System', plan: 'memory_usage', source: 'node_exporter', series: ['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes'] },
  { list: 'System', plan: 'disk_usage', source: 'node_exporter', series: ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes'] },
  { list: 'System', plan: 'network_io', source: 'node_exporter', series: ['node_network_receive_bytes_total', 'node_network_transmit_bytes_total'] },
  { list: 'Cache', plan: 'cache hits / misses', source: 'sample-api', series: ['cache_hits_total', 'cache_misses_total'] },
  { list: 'Cache', plan: 'redis keyspace hits / misses', source: 'redis_exporter', series: ['redis_up', 'redis_keyspace_hits_total', 'redis_keyspace_misses_total'] },
  { list: 'Queue', plan: 'queue depth', source: 'rabbitmq', series: ['rabbitmq_queue_messages_ready'] },
  { list: 'Queue', plan: 'queue throughput', source: 'sample-worker', series: ['queue_published_total', 'queue_consumed_total', 'queue_depth'] },
  { list: 'Business', plan: 'active users', source: 'sample-api', series: ['active_users'] },
  { list: 'Business', plan: 'sessions created', source: 'sample-api', series: ['sessions_created_total'] },
  { list: 'Business', plan: 'revenue', source: 'sample-worker', series: ['revenue_total'] },
  { list: 'Business', plan: 'API usage by client', source: 'sample-api', series: ['api_usage_by_client'] },
];
