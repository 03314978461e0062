/**
 * Instant queries against a Prometheus the run started (its published port on 127.0.0.1), evaluated
 * at a chosen time so a figure covers exactly one load window.
 */
export interface PrometheusClient {
  readonly url: string;
  /** The single value of `expr` at `at` (NaN when the vector is empty). */
  scalar(expr: string, at: Date): Promise<number>;
  /** Every series of `expr` at `at`, keyed by the value of `label`. */
  byLabel(expr: string, label: string, at: Date): Promise<Record<string, number>>;
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export function prometheusClient(url: string): PrometheusClient {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1') throw new Error(`prometheusClient: ${url} is not a published port on 127.0.0.1`);
  const query = async (expr: string, at: Date): Promise<VectorSample[]> => {
    const params = new URLSearchParams({ query: expr, time: (at.getTime() / 1000).toFixed(3) });
    const response = await fetch(`${url}/api/v1/query?${params}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
    if (body.status !== 'success') throw new Error(`Prometheus rejected "${expr}": ${body.error}`);
    if (body.data?.resultType !== 'vector') throw new Error(`"${expr}" returned a ${body.data?.resultType}, not a vector`);
    return body.data.result as VectorSample[];
  };
  return {
    url,
    async scalar(expr, at) {
      const result = await query(expr, at);
      if (result.length > 1) throw new Error(`"${expr}" returned ${result.length} series; aggregate it to one`);
      return result.length ? Number(result[0]!.value[1]) : Number.NaN;
    },
    async byLabel(expr, label, at) {
      const result = await query(expr, at);
      return Object.fromEntries(result.map((s) => [s.metric[label] ?? '', Number(s.value[1])]));
    },
  };
}

/** A range selector for a window of whole seconds, at least two scrapes long (test profile scrapes every 1 s). */
export function window(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 2) throw new Error(`a query window must be at least 2 s, got ${seconds}`);
  return `${Math.round(seconds)}s`;
}

/** Application requests only: the scrape, health and readiness probes are not API traffic. */
export const API_ROUTES = 'service="sample-api",route!~"/metrics|/healthz|/readyz"';

/** The queries behind the latency and capacity figures (docs/capacity.md quotes them). */
export const queries = {
  serverQuantile: (q: number, seconds: number) =>
    `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket{${API_ROUTES}}[${window(seconds)}])))`,
  dbQuantile: (q: number, seconds: number) => `histogram_quantile(${q}, sum by (le) (rate(query_duration_bucket{service="sample-api"}[${window(seconds)}])))`,
  requestRate: (seconds: number) => `sum(rate(http_request_duration_seconds_count{${API_ROUTES}}[${window(seconds)}]))`,
  queryRate: (seconds: number) => `sum(rate(query_duration_count{service="sample-api"}[${window(seconds)}]))`,
  writeQueryRate: (seconds: number) => `sum(rate(query_duration_count{service="sample-api",pool="write"}[${window(seconds)}]))`,
  meanQuerySeconds: (seconds: number) =>
    `sum(rate(query_duration_sum{service="sample-api"}[${window(seconds)}])) / sum(rate(query_duration_count{service="sample-api"}[${window(seconds)}]))`,
  /** CPU cores the API processes used, per scrape target. */
  apiCpuByInstance: (seconds: number) => `sum by (instance) (rate(process_cpu_seconds_total{service="sample-api"}[${window(seconds)}]))`,
  apiCpu: (seconds: number) => `sum(rate(process_cpu_seconds_total{service="sample-api"}[${window(seconds)}]))`,
  eventLoopLagP99ByInstance: (seconds: number) => `max by (instance) (max_over_time(nodejs_eventloop_lag_p99_seconds{service="sample-api"}[${window(seconds)}]))`,
  /** Peak share of each pool in use, over the instances. */
  poolUseByPool: (seconds: number) =>
    `max by (pool) (max_over_time(connections_used{service="sample-api"}[${window(seconds)}]) / max_over_time(connections_max{service="sample-api"}[${window(seconds)}]))`,
} as const;

/** Waits (bounded) until Prometheus scrapes every instance of a job, so a figure never silently covers part of a tier. */
export async function waitForScrapes(client: PrometheusClient, job: string, instances: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let up = 0;
  while (Date.now() < deadline) {
    up = await client.scalar(`sum(up{job="${job}"})`, new Date()).catch(() => 0);
    if (up === instances) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Prometheus scrapes ${up} of ${instances} ${job} instances after ${timeoutMs / 1000} s`);
}
