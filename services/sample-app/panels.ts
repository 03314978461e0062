import { RATE_INTERVAL as RI, type DashboardPanel } from '../../src/core/monitoring.ts';
import { targets } from '../../src/core/targets.ts';

const t = targets.alertRules;
const q = Math.round(t.apiLatencyQuantile * 100);

export const applicationPanels: DashboardPanel[] = [
  {
    dashboard: 'application',
    row: 'Traffic',
    title: 'Request rate',
    description: 'Finished requests per second by route.',
    kind: 'timeseries',
    unit: 'reqps',
    queries: [{ expr: `sum by (route) (rate(http_requests_total[${RI}]))`, legend: '{{route}}' }],
  },
  {
    dashboard: 'application',
    row: 'Traffic',
    title: 'Throughput and in-flight requests',
    description: 'All requests per second, and requests being served right now.',
    kind: 'timeseries',
    unit: 'short',
    queries: [
      { expr: `sum(rate(http_requests_total[${RI}]))`, legend: 'requests/s' },
      { expr: 'sum(http_requests_in_progress)', legend: 'in progress' },
    ],
  },
  {
    dashboard: 'application',
    row: 'Latency and errors',
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
    dashboard: 'application',
    row: 'Latency and errors',
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
    dashboard: 'application',
    row: 'Latency and errors',
    title: 'Errors by kind',
    description: 'errors_total by kind: http_5xx, http_4xx, dependency, unhandled.',
    kind: 'timeseries',
    unit: 'short',
    queries: [{ expr: `sum by (kind) (rate(errors_total[${RI}]))`, legend: '{{kind}}' }],
  },
  {
    dashboard: 'application',
    row: 'Cache and queue',
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
    dashboard: 'application',
    row: 'Cache and queue',
    title: 'Queue throughput',
    description: 'Events published by the API and consumed by the worker per second.',
    kind: 'timeseries',
    unit: 'short',
    queries: [
      { expr: `sum by (queue) (rate(queue_published_total[${RI}]))`, legend: 'published {{queue}}' },
      { expr: `sum by (queue) (rate(queue_consumed_total[${RI}]))`, legend: 'consumed {{queue}}' },
    ],
  },
];

export const businessPanels: DashboardPanel[] = [
  {
    dashboard: 'business',
    row: 'Users and revenue',
    title: 'Active users',
    description: 'Distinct users with a session in the last 15 minutes.',
    kind: 'stat',
    unit: 'short',
    queries: [{ expr: 'max(active_users)', legend: 'active users' }],
  },
  {
    dashboard: 'business',
    row: 'Users and revenue',
    title: 'Sessions created',
    description: 'Sessions created per second.',
    kind: 'timeseries',
    unit: 'short',
    queries: [{ expr: `sum(rate(sessions_created_total[${RI}]))`, legend: 'sessions/s' }],
  },
  {
    dashboard: 'business',
    row: 'Users and revenue',
    title: 'Revenue',
    description: 'Revenue of processed orders per second, by currency.',
    kind: 'timeseries',
    unit: 'short',
    queries: [{ expr: `sum by (currency) (rate(revenue_total[${RI}]))`, legend: '{{currency}}' }],
  },
  {
    dashboard: 'business',
    row: 'Users and revenue',
    title: 'API usage by client',
    description: 'Authenticated API calls per second, by client.',
    kind: 'timeseries',
    unit: 'reqps',
    queries: [{ expr: `sum by (client) (rate(api_usage_by_client[${RI}]))`, legend: '{{client}}' }],
  },
];
