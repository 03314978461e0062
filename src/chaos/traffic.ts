import { sleep } from '../core/poll.ts';
import { apiClient, type ApiClient } from '../../services/sample-app/client.ts';
import { appPromises } from '../../services/sample-app/spec.ts';
import type { RunningStack } from '../stack/docker/stack.ts';
import type { AlertExpectation } from './experiment.ts';

/** One request of the background client: when it started (ms since the experiment began), what, how long, how it ended. */
export interface ClientSample {
  t: number;
  kind: 'read' | 'write';
  ms: number;
  status: number;
}

const READS_PER_SECOND = 8;
const WRITES_PER_SECOND = 2;

/**
 * The client every experiment runs in the background when the stack serves the API: cached product
 * reads (8/s) and order writes (2/s) through nginx, each on its own schedule (a slow answer delays only
 * its own loop). Each request waits the API's request budget (REQUEST_BUDGET_MS) + 1 s: the API promises an
 * answer within its budget, so no answer by then is a broken promise (status 0). Bounded by count and time;
 * the journal plots what it saw.
 */
export class BackgroundClient {
  readonly samples: ClientSample[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly t0: number,
    private readonly maxSeconds = 1_200,
  ) {}

  async start(stack: RunningStack): Promise<this> {
    if (!stack.has('nginx')) return this;
    const api = await apiClient(stack);
    const userId = await api.createUser('chaos');
    const timeoutMs = appPromises(stack.profile).requestBudgetMs + 1_000;
    this.loops = [
      this.loop(api, 'read', READS_PER_SECOND, (i) => api.call('GET', `/v1/products/${(i % 100) + 1}`, undefined, timeoutMs)),
      this.loop(api, 'write', WRITES_PER_SECOND, () => api.createOrder(userId, undefined, timeoutMs)),
    ];
    return this;
  }

  private async loop(_api: ApiClient, kind: ClientSample['kind'], perSecond: number, send: (i: number) => Promise<{ status: number }>): Promise<void> {
    const end = performance.now() + this.maxSeconds * 1000;
    const gap = 1000 / perSecond;
    for (let i = 0; !this.stopping && performance.now() < end && i < this.maxSeconds * perSecond; i++) {
      const started = performance.now();
      const r = await send(i);
      this.samples.push({ t: Math.round(started - this.t0), kind, ms: Math.round((performance.now() - started) * 10) / 10, status: r.status });
      await sleep(Math.max(0, gap - (performance.now() - started)));
    }
  }

  async stop(): Promise<ClientSample[]> {
    this.stopping = true;
    await Promise.all(this.loops);
    return this.samples.sort((a, b) => a.t - b.t);
  }
}

export const failed = (s: ClientSample) => s.status === 0 || s.status >= 500;

/** An answer the API's contract forbids for a dependency fault (sample-app/CONTRACT.md): a 5xx other than 503, or none within the budget. */
export const forbidden = (s: ClientSample) => s.status === 0 || (s.status >= 500 && s.status !== 503);

/** The first client request that failed at or after the fault (ms since the experiment began), for an alert clocked from it. */
export function detectionClock(from: AlertExpectation['from'], samples: readonly ClientSample[], faultMs: number): ClientSample | undefined {
  if (from !== 'first-failure') return undefined;
  return samples.filter((s) => s.t >= faultMs && failed(s)).sort((a, b) => a.t - b.t)[0];
}

/**
 * Seconds from the last undo (`undoneMs`, ms since the experiment began, like each sample's `t`) to the end of
 * the first accepted write after the last failed one; 0 when no write failed or writes were back before the undo.
 */
export function writeRecovery(writes: readonly ClientSample[], undoneMs: number): { seconds: number; note: string } {
  const lastFailed = [...writes].reverse().find(failed);
  if (!lastFailed) return { seconds: 0, note: 'no write failed' };
  const back = writes.find((s) => s.t > lastFailed.t && !failed(s));
  if (!back) return { seconds: Number.POSITIVE_INFINITY, note: `no write was accepted after the last failed one (${(lastFailed.t / 1000).toFixed(2)} s)` };
  return { seconds: Math.max(0, back.t + back.ms - undoneMs) / 1000, note: `last undo → write accepted (${back.status}) after the last failed one (${lastFailed.status === 0 ? 'no answer' : lastFailed.status})` };
}
