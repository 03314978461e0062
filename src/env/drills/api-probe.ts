import { DEFAULT_CLIENTS } from '../../topologies/sample-app.ts';
import { sleep } from '../../core/poll.ts';
import { ENV_PORTS } from '../ports.ts';

export const API_BASE = `http://127.0.0.1:${ENV_PORTS.api}`;
const API_KEY = DEFAULT_CLIENTS[0]!.key;

export interface ApiCall {
  status: number;
  body: unknown;
}

/** One API request through nginx with a bounded timeout; status 0 when no answer came. */
export async function callApi(method: string, path: string, body?: unknown, timeoutMs = 5_000): Promise<ApiCall> {
  try {
    const response = await fetch(`${API_BASE}${path}`, {
      method,
      headers: { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // non-JSON bodies stay text
    }
    return { status: response.status, body: parsed };
  } catch {
    return { status: 0, body: undefined };
  }
}

export async function createUser(label: string): Promise<string> {
  const r = await callApi('POST', '/v1/users', { email: `drill-${label}-${Date.now()}@example.test`, name: `Drill ${label}` });
  if (r.status !== 201) throw new Error(`POST /v1/users answered ${r.status}: ${JSON.stringify(r.body)} (is the environment up?)`);
  return (r.body as { id: string }).id;
}

export async function createOrder(userId: string, productId = '7'): Promise<ApiCall> {
  return callApi('POST', '/v1/orders', { userId, items: [{ productId, quantity: 1 }] });
}

export interface ProbeReport {
  reads: { ok: number; failed: number };
  writes: { ok: number; failed: number };
  /** performance.now() of every failed and every successful write, to find the write outage. */
  writeFailures: number[];
  writeSuccesses: number[];
  readFailures: number[];
  /** Failed requests by "<method> <status> <error code>", to say why they failed. */
  why: Record<string, number>;
}

function reason(method: string, call: ApiCall): string {
  const code = (call.body as { error?: { code?: string } } | undefined)?.error?.code ?? (typeof call.body === 'string' ? call.body.slice(0, 40) : '');
  return `${method} ${call.status || 'no answer'} ${code}`.trim();
}

/**
 * What an API client sees during a drill: a read (GET an order: the replica path, never cached) and
 * a write (POST an order: the primary) through nginx every `intervalMs`, bounded in time and count.
 */
export class ApiProbe {
  private stopping = false;
  private loop: Promise<ProbeReport> | undefined;

  constructor(
    private readonly userId: string,
    private readonly readOrderId: string,
    private readonly limits = { intervalMs: 100, maxSeconds: 240, maxRequests: 6_000 },
  ) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  stop(): Promise<ProbeReport> {
    if (!this.loop) throw new Error('probe never started');
    this.stopping = true;
    return this.loop;
  }

  private current: ProbeReport | undefined;

  /** Waits (bounded) until `count` orders in a row were accepted after `since`: the API's writes recovered. */
  async waitForWrites(since: number, count: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const r = this.current;
      if (r) {
        const lastFailure = r.writeFailures.at(-1) ?? 0;
        if (r.writeSuccesses.filter((t) => t > Math.max(since, lastFailure)).length >= count) return true;
      }
      await sleep(100);
    }
    return false;
  }

  private async run(): Promise<ProbeReport> {
    const report: ProbeReport = { reads: { ok: 0, failed: 0 }, writes: { ok: 0, failed: 0 }, writeFailures: [], writeSuccesses: [], readFailures: [], why: {} };
    const count = (key: string) => (report.why[key] = (report.why[key] ?? 0) + 1);
    this.current = report;
    const end = performance.now() + this.limits.maxSeconds * 1000;
    let requests = 0;
    while (!this.stopping && performance.now() < end && requests < this.limits.maxRequests) {
      const started = performance.now();
      const [read, write] = await Promise.all([callApi('GET', `/v1/orders/${this.readOrderId}`, undefined, 3_000), createOrder(this.userId)]);
      requests += 2;
      if (read.status === 200) report.reads.ok++;
      else {
        report.reads.failed++;
        report.readFailures.push(started);
        count(reason('GET', read));
      }
      if (write.status === 201) {
        report.writes.ok++;
        report.writeSuccesses.push(performance.now());
      } else {
        report.writes.failed++;
        report.writeFailures.push(started);
        count(reason('POST', write));
      }
      await sleep(Math.max(0, this.limits.intervalMs - (performance.now() - started)));
    }
    return report;
  }
}

/** Seconds from the fault until the API's first successful write after its last failed one (0: never failed). */
export function writeRecoverySeconds(report: ProbeReport, faultAt: number): number {
  const lastFailure = report.writeFailures.filter((t) => t >= faultAt).at(-1);
  if (lastFailure === undefined) return 0;
  const recovered = report.writeSuccesses.find((t) => t > lastFailure);
  return recovered === undefined ? Number.POSITIVE_INFINITY : Number(((recovered - faultAt) / 1000).toFixed(2));
}
