import { sleep } from '../core/poll.ts';
import { apiClient, type ApiClient } from '../../services/sample-app/client.ts';
import { appPromises } from '../../services/sample-app/spec.ts';
import type { RunningStack } from '../stack/docker/stack.ts';

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
