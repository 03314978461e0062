import type { RequestHandler } from 'express';
import { HttpError } from './errors.ts';

/**
 * Fault injection for the alert suites, compiled in only when SAMPLE_APP_FAULTS=1 (off by default,
 * never in production). The delay and the failures are real — requests really take longer or
 * really answer 500 — so every metric moves the way it would in an incident; nothing is faked.
 *   PUT /internal/faults {"latencyMs": 1500, "errorRate": 0.2}   ({} clears them)
 * The failures are spread evenly, not drawn at random: at 0.03 exactly 3 of every 100 requests fail,
 * so a 5 s rate window of a few hundred requests reads 3 % ± one request, never 0 % nor 5 % by chance.
 * Preferred for database incidents: pause the Postgres container or put a proxy in front of it.
 */
export class Faults {
  latencyMs = 0;
  errorRate = 0;
  /** Failures owed so far (error diffusion): each request adds errorRate, a request fails when it reaches 1. */
  private owed = 0;

  /** Whether the next request fails: exactly ⌊n · errorRate⌋ (or one more) of any n consecutive requests do. */
  nextFails(): boolean {
    if (this.errorRate <= 0) return false;
    this.owed += this.errorRate;
    if (this.owed < 1) return false;
    this.owed -= 1;
    return true;
  }

  readonly middleware: RequestHandler = (_req, _res, next) => {
    const fail = this.nextFails();
    const go = () => (fail ? next(new Error('injected fault (SAMPLE_APP_FAULTS)')) : next());
    if (this.latencyMs > 0) setTimeout(go, this.latencyMs);
    else go();
  };

  readonly configure: RequestHandler = (req, res, next) => {
    const body = (req.body ?? {}) as { latencyMs?: unknown; errorRate?: unknown };
    const latency = body.latencyMs ?? 0;
    const rate = body.errorRate ?? 0;
    if (typeof latency !== 'number' || !Number.isInteger(latency) || latency < 0 || latency > 60_000) {
      return next(new HttpError(400, 'bad_request', 'latencyMs must be an integer in [0, 60000]'));
    }
    if (typeof rate !== 'number' || rate < 0 || rate > 1) return next(new HttpError(400, 'bad_request', 'errorRate must be in [0, 1]'));
    this.latencyMs = latency;
    this.errorRate = rate;
    this.owed = 0;
    res.json({ latencyMs: this.latencyMs, errorRate: this.errorRate });
  };
}
