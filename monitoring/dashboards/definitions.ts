import { targets } from '../../src/core/targets.ts';
import type { PanelSpec } from './panels.ts';

const t = targets.alertRules;
const q = Math.round(t.apiLatencyQuantile * 100);
/** Grafana's own macro: at least four scrape intervals, so rate() always sees two samples. */
const RI = '$__rate_interval';

export interface DashboardSpec {
  uid: string;
  title: string;
  tags: string[];
  rows: Array<{ title: string; panels: PanelSpec[] }>;
}

const systemOverview: DashboardSpec = {
  uid: 'refstack-system',
  title: 'System Overview',
  tags: ['refstack', 'system'],
  rows: [
    {
      title: 'CPU, memory, disk',
      panels: [
        {
          title: 'CPU usage',
          description: 'Share of time the CPUs are not idle, averaged over the CPUs of each node.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [{ expr: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[${RI}]))`, legend: '{{instance}}' }],
          thresholds: [t.cpuHighRatio],
          width: 8,
        },
        {
          title: 'Memory usage',
          description: '1 − MemAvailable / MemTotal.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [{ expr: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', legend: '{{instance}}' }],
          thresholds: [t.memoryHighRatio, t.memoryCriticalRatio],
          width: 8,
        },
        {
          title: 'Disk usage',
          description: 'Used share of each writable filesystem.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr: '1 - node_filesystem_avail_bytes{fstype!~"ramfs|squashfs|iso9660"} / node_filesystem_size_bytes',
              legend: '{{instance}} {{mountpoint}}',
            },
          ],
          thresholds: [t.diskHighRatio, t.diskCriticalRatio],
          width: 8,
        },
      ],
    },
    {
      title: 'Network and containers',
      panels: [
        {
          title: 'Network I/O',
          description: 'Bytes received and sent per second, all interfaces but loopback.',
          kind: 'timeseries',
          unit: 'Bps',
          queries: [
            { expr: `sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}[${RI}]))`, legend: 'rx {{instance}}' },
            { expr: `sum by (instance) (rate(node_network_transmit_bytes_total{device!="lo"}[${RI}]))`, legend: 'tx {{instance}}' },
          ],
        },
        {
          title: 'Container health',
          description: 'Scrape targets that answer (1) or not (0), by job.',
          kind: 'timeseries',
          unit: 'none',
          queries: [{ expr: 'min by (job) (up)', legend: '{{job}}' }],
        },
      ],
    },
  ],
};

const applicationPerformance: DashboardSpec = {
  uid: 'refstack-application',
  title: 'Application Performance',
  tags: ['refstack', 'api'],
  rows: [
    {
      title: 'Traffic',
      panels: [
        {
          title: 'Request rate',
          description: 'Finished requests per second by route.',
          kind: 'timeseries',
          unit: 'reqps',
          queries: [{ expr: `sum by (route) (rate(http_requests_total[${RI}]))`, legend: '{{route}}' }],
        },
        {
          title: 'Throughput and in-flight requests',
          description: 'All requests per second, and requests being served right now.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            { expr: `sum(rate(http_requests_total[${RI}]))`, legend: 'requests/s' },
            { expr: 'sum(http_requests_in_progress)', legend: 'in progress' },
          ],
        },
      ],
    },
    {
      title: 'Latency and errors',
      panels: [
        {
          title: 'Response time',
          description: `p50, p${q} and p99 of the API response time; lines at the low and high latency alert thresholds.`,
          kind: 'timeseries',
          unit: 's',
          queries: [0.5, t.apiLatencyQuantile, 0.99].map((quantile) => ({
            expr: `histogram_quantile(${quantile}, sum by (le) (rate(http_request_duration_seconds_bucket[${RI}])))`,
            legend: `p${Math.round(quantile * 100)}`,
          })),
          thresholds: [t.apiLatencyHighSeconds, t.apiLatencyCriticalSeconds],
        },
        {
          title: 'Error rate',
          description: 'Share of responses that are 5xx; lines at the error-rate and API-down thresholds.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum(rate(http_requests_total{status=~"5.."}[${RI}]) or vector(0)) / sum(rate(http_requests_total[${RI}]))`,
              legend: '5xx share',
            },
          ],
          thresholds: [targets.plan.errorRate, t.api5xxRatio],
        },
        {
          title: 'Errors by kind',
          description: 'errors_total by kind: http_5xx, http_4xx, dependency, unhandled.',
          kind: 'timeseries',
          unit: 'short',
          queries: [{ expr: `sum by (kind) (rate(errors_total[${RI}]))`, legend: '{{kind}}' }],
        },
      ],
    },
    {
      title: 'Cache and queue',
      panels: [
        {
          title: 'Cache miss rate',
          description: 'Share of cache-aside lookups that missed Redis.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum(rate(cache_misses_total[${RI}])) / (sum(rate(cache_hits_total[${RI}])) + sum(rate(cache_misses_total[${RI}])))`,
              legend: 'miss rate',
            },
          ],
          thresholds: [t.cacheMissRatio],
        },
        {
          title: 'Queue depth',
          description: 'Ready messages per queue, from RabbitMQ.',
          kind: 'timeseries',
          unit: 'short',
          queries: [{ expr: 'sum by (queue) (rabbitmq_queue_messages_ready)', legend: '{{queue}}' }],
          thresholds: [t.queueDepth],
        },
        {
          title: 'Queue throughput',
          description: 'Events published by the API and consumed by the worker per second.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            { expr: `sum by (queue) (rate(queue_published_total[${RI}]))`, legend: 'published {{queue}}' },
            { expr: `sum by (queue) (rate(queue_consumed_total[${RI}]))`, legend: 'consumed {{queue}}' },
          ],
        },
      ],
    },
  ],
};

const databaseHealth: DashboardSpec = {
  uid: 'refstack-database',
  title: 'Database Health',
  tags: ['refstack', 'database'],
  rows: [
    {
      title: 'Connections and queries',
      panels: [
        {
          title: 'Connection count',
          description: 'Pool connections in use by the app, and server sessions by state.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            { expr: 'sum by (pool) (connections_used)', legend: 'app pool {{pool}}' },
            { expr: 'sum by (state) (pg_stat_activity_count)', legend: 'server {{state}}' },
          ],
        },
        {
          title: 'Query performance',
          description: `p${q} query time by operation, as the app sees it; line at the slow-query bound.`,
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(${t.apiLatencyQuantile}, sum by (le, operation) (rate(query_duration_bucket[${RI}])))`,
              legend: '{{operation}}',
            },
          ],
          thresholds: [targets.sampleApp.slowQuerySeconds],
        },
        {
          title: 'Slow queries',
          description: `Queries at or above ${targets.sampleApp.slowQuerySeconds} s per second, by operation.`,
          kind: 'timeseries',
          unit: 'short',
          queries: [{ expr: `sum by (operation) (rate(slow_queries[${RI}]))`, legend: '{{operation}}' }],
        },
      ],
    },
    {
      title: 'Replication and backups',
      panels: [
        {
          title: 'Replication lag',
          description: 'Seconds a replica is behind, from postgres_exporter and from the app read endpoint.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            { expr: 'max by (instance) (pg_replication_lag_seconds)', legend: '{{instance}}' },
            { expr: 'max(replication_lag)', legend: 'app read endpoint' },
          ],
          thresholds: [t.replicationLagSeconds],
        },
        {
          title: 'Backup status (WAL archiving)',
          description: 'Seconds since the last WAL segment was archived, and failed archive attempts.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            { expr: 'max by (instance) (pg_stat_archiver_last_archive_age)', legend: 'last archive age {{instance}}' },
            { expr: 'sum by (instance) (pg_stat_archiver_failed_count)', legend: 'failed {{instance}}' },
          ],
        },
        {
          title: 'Database up',
          description: 'postgres_exporter reaches its server (1) or not (0).',
          kind: 'stat',
          unit: 'none',
          queries: [{ expr: 'min by (instance) (pg_up)', legend: '{{instance}}' }],
        },
      ],
    },
  ],
};

const businessMetrics: DashboardSpec = {
  uid: 'refstack-business',
  title: 'Business Metrics',
  tags: ['refstack', 'business'],
  rows: [
    {
      title: 'Users and revenue',
      panels: [
        {
          title: 'Active users',
          description: 'Distinct users with a session in the last 15 minutes.',
          kind: 'stat',
          unit: 'short',
          queries: [{ expr: 'max(active_users)', legend: 'active users' }],
        },
        {
          title: 'Sessions created',
          description: 'Sessions created per second.',
          kind: 'timeseries',
          unit: 'short',
          queries: [{ expr: `sum(rate(sessions_created_total[${RI}]))`, legend: 'sessions/s' }],
        },
        {
          title: 'Revenue',
          description: 'Revenue of processed orders per second, by currency.',
          kind: 'timeseries',
          unit: 'short',
          queries: [{ expr: `sum by (currency) (rate(revenue_total[${RI}]))`, legend: '{{currency}}' }],
        },
        {
          title: 'API usage by client',
          description: 'Authenticated API calls per second, by client.',
          kind: 'timeseries',
          unit: 'reqps',
          queries: [{ expr: `sum by (client) (rate(api_usage_by_client[${RI}]))`, legend: '{{client}}' }],
        },
      ],
    },
  ],
};

export const dashboards: DashboardSpec[] = [systemOverview, applicationPerformance, databaseHealth, businessMetrics];

/** Every panel query, for the live test that runs them against Prometheus. */
export function dashboardQueries(): Array<{ dashboard: string; panel: string; expr: string }> {
  return dashboards.flatMap((d) => d.rows.flatMap((r) => r.panels.flatMap((p) => p.queries.map((query) => ({ dashboard: d.title, panel: p.title, expr: query.expr })))));
}
