import { sleep } from '../../../src/core/poll.ts';
import type { ApiCall, ApiClient } from '../client.ts';

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
 * `paired`: a read and a write leave together every interval, so a write that waits holds the next read
 * back (the drills' client since they were written). `independent`: reads and writes on loops of their own,
 * so a stalled write path does not thin out the reads (a frozen synchronous standby stalls every commit).
 */
export type ProbePace = 'paired' | 'independent';

/**
 * What an API client sees during a drill: a read (GET an order: the replica path, never cached) and
 * a write (POST an order: the primary) through nginx every `intervalMs`, bounded in time and count.
 */
export class ApiProbe {
  private stopping = false;
  private loop: Promise<ProbeReport> | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly userId: string,
    private readonly readOrderId: string,
    private readonly limits = { intervalMs: 100, maxSeconds: 240, maxRequests: 6_000 },
    private readonly pace: ProbePace = 'paired',
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
    const more = () => !this.stopping && performance.now() < end && requests < this.limits.maxRequests;
    const read = async (started: number) => {
      const answer = await this.api.call('GET', `/v1/orders/${this.readOrderId}`, undefined, 3_000);
      requests += 1;
      if (answer.status === 200) return void report.reads.ok++;
      report.reads.failed++;
      report.readFailures.push(started);
      count(reason('GET', answer));
    };
    const write = async (started: number) => {
      const answer = await this.api.createOrder(this.userId);
      requests += 1;
      if (answer.status === 201) {
        report.writes.ok++;
        report.writeSuccesses.push(performance.now());
        return;
      }
      report.writes.failed++;
      report.writeFailures.push(started);
      count(reason('POST', answer));
    };
    const every = async (...calls: Array<(started: number) => Promise<void>>) => {
      while (more()) {
        const started = performance.now();
        await Promise.all(calls.map((call) => call(started)));
        await sleep(Math.max(0, this.limits.intervalMs - (performance.now() - started)));
      }
    };
    if (this.pace === 'paired') await every(read, write);
    else await Promise.all([every(read), every(write)]);
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
