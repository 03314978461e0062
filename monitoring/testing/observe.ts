import type { StackHandle } from '../../src/core/spec.ts';

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One alert of an Alertmanager webhook notification, with the receiver it reached and when (unix seconds). */
export interface AlertEvent {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  receiver: string;
  at: number;
}

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

/**
 * The stack's monitoring as a test reads it: Prometheus' query API, Alertmanager's alert list and the
 * notifications the alert-receiver service got (services/alert-receiver/receiver.py, GET /?since=).
 * Every call is bounded by a 10 s timeout.
 */
export interface Monitoring {
  prometheusUrl: string;
  /** Instant query, now or at `atUnixSeconds`; throws with Prometheus' own error for an invalid expression. */
  query(expr: string, atUnixSeconds?: number): Promise<Sample[]>;
  /** Alertmanager's view of one alert: active, or suppressed (and by what). */
  alertmanagerAlerts(alertname: string): Promise<AlertmanagerAlert[]>;
  /** Every alert of every notification received at or after `sinceUnixSeconds`, in arrival order. */
  notifications(sinceUnixSeconds: number): Promise<AlertEvent[]>;
  /** Prometheus' active targets: health of the last scrape and its error ("context deadline exceeded" for a timeout). */
  targets(): Promise<Array<{ labels: Record<string, string>; health: string; lastError: string }>>;
}

const TIMEOUT_MS = 10_000;

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

export async function monitoringOf(stack: StackHandle): Promise<Monitoring> {
  const prometheusUrl = await stack.first('prometheus').url('http');
  const alertmanagerUrl = await stack.first('alertmanager').url('http');
  const receiverUrl = await stack.first('alert-receiver').url('http');
  return {
    prometheusUrl,
    async query(expr, atUnixSeconds) {
      const at = atUnixSeconds === undefined ? '' : `&time=${atUnixSeconds.toFixed(3)}`;
      const body = await getJson<{ status: string; error?: string; data?: { resultType: string; result: unknown } }>(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}${at}`).catch((e: Error) => {
        throw new Error(`Prometheus query "${expr}" failed: ${e.message}`);
      });
      if (body.status !== 'success') throw new Error(`Prometheus rejected "${expr}": ${body.error}`);
      if (body.data?.resultType !== 'vector') throw new Error(`"${expr}" returned a ${body.data?.resultType}, not a vector`);
      return body.data.result as Sample[];
    },
    alertmanagerAlerts: (alertname) => getJson(`${alertmanagerUrl}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`),
    targets: async () => (await getJson<{ data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> } }>(`${prometheusUrl}/api/v1/targets?state=active`)).data.activeTargets,
    async notifications(since) {
      const entries = await getJson<Array<{ receiver: string; at: number; alerts: Array<Omit<AlertEvent, 'receiver' | 'at'>> }>>(`${receiverUrl}/?since=${since}`);
      return entries.flatMap((n) => n.alerts.map((a) => ({ ...a, receiver: n.receiver, at: n.at })));
    },
  };
}

/** The value of a one-series result as a number (NaN when there is no series). */
export function scalar(samples: Sample[]): number {
  return samples.length ? Number(samples[0]!.value[1]) : Number.NaN;
}
