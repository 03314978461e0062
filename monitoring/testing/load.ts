/**
 * Open-model background traffic for the live alert suite: a fixed number of requests per second of
 * each kind, sent to the API's published port on 127.0.0.1, bounded in in-flight requests and time.
 */
export interface LoadRates {
  /** GET /v1/products/:id on the seeded catalogue (1..100): cache hits once warm. */
  hotReads: number;
  /** GET /v1/products/:id beyond the catalogue: always a cache miss (and a 404). */
  coldReads: number;
  /** PUT /v1/products/:id: a write transaction and an event on the queue. */
  writes: number;
}

export interface LoadStats {
  sent: number;
  byStatus: Record<string, number>;
  failed: number;
}

/** One answered (or failed) request as the client saw it: when it ended (performance.now()), how long it took, its status (0: no answer). */
export interface Outcome {
  endedAt: number;
  ms: number;
  status: number;
  /** A product read (GET), not a write. */
  read: boolean;
  /** Where the API says it answered a read from (X-Read-Source: cache, replica, primary); absent on errors and 404s. */
  source?: string;
}

/**
 * Mixed traffic of a healthy day through nginx: cache-hit reads, a few misses, writes (events on the
 * queue). Modest on purpose: an open-model load far above what a starved 2-core machine can serve
 * piles up requests and measures the machine, not the monitoring.
 */
export const HEALTHY_TRAFFIC: LoadRates = { hotReads: 14, coldReads: 1, writes: 1 };
/** Reads sent to the first API instance directly on top of {@link HEALTHY_TRAFFIC}: the two instances answer at different rates. */
export const SKEW_READS = 10;

const TICK_MS = 100;
const MAX_IN_FLIGHT = 800;
const CATALOGUE = 100;

export class BackgroundLoad {
  private rates: LoadRates = { hotReads: 0, coldReads: 0, writes: 0 };
  private carry = { hotReads: 0, coldReads: 0, writes: 0 };
  private timer: NodeJS.Timeout | undefined;
  private deadline = 0;
  private inFlight = 0;
  private sequence = 0;
  readonly stats: LoadStats = { sent: 0, byStatus: {}, failed: 0 };
  /** Every request's outcome, for judging alerts against what the clients saw (at most a few hundred thousand in a suite). */
  readonly outcomes: Outcome[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  /** Starts sending; stops by itself after `maxSeconds` whatever happens. */
  start(maxSeconds: number): void {
    this.deadline = performance.now() + maxSeconds * 1000;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  set(rates: Partial<LoadRates>): void {
    this.rates = { ...this.rates, ...rates };
  }

  get current(): LoadRates {
    return { ...this.rates };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const until = performance.now() + 15_000;
    while (this.inFlight > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
  }

  private tick(): void {
    if (performance.now() > this.deadline) {
      void this.stop();
      return;
    }
    for (const kind of ['hotReads', 'coldReads', 'writes'] as const) {
      this.carry[kind] += (this.rates[kind] * TICK_MS) / 1000;
      while (this.carry[kind] >= 1) {
        this.carry[kind] -= 1;
        if (this.inFlight < MAX_IN_FLIGHT) void this.send(kind);
      }
    }
  }

  private async send(kind: keyof LoadRates): Promise<void> {
    this.inFlight += 1;
    this.stats.sent += 1;
    const n = ++this.sequence;
    const id = kind === 'coldReads' ? 1_000_000 + n : 1 + (n % CATALOGUE);
    const t0 = performance.now();
    let status = 0;
    let source: string | undefined;
    try {
      const response = await fetch(`${this.baseUrl}/v1/products/${id}`, {
        method: kind === 'writes' ? 'PUT' : 'GET',
        headers: { 'x-api-key': this.apiKey, ...(kind === 'writes' ? { 'content-type': 'application/json' } : {}) },
        ...(kind === 'writes' ? { body: JSON.stringify({ priceCents: 100 + (n % 900) }) } : {}),
        signal: AbortSignal.timeout(20_000),
      });
      await response.arrayBuffer();
      status = response.status;
      source = response.headers.get('x-read-source') ?? undefined;
      this.stats.byStatus[response.status] = (this.stats.byStatus[response.status] ?? 0) + 1;
    } catch {
      this.stats.failed += 1;
    } finally {
      this.inFlight -= 1;
      this.outcomes.push({ endedAt: performance.now(), ms: performance.now() - t0, status, read: kind !== 'writes', ...(source ? { source } : {}) });
    }
  }
}
