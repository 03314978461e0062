import { performance } from 'node:perf_hooks';
import { LatencyHistogram, type LatencySummary } from './histogram.ts';

/**
 * Open-model, fixed-rate load: request i is due at t0 + i/rps whatever happened to earlier requests,
 * and its latency is measured from that intended time, so a stalled server shows up in the
 * percentiles instead of silently slowing the sender down (no coordinated omission).
 */

export interface RequestOutcome {
  ok: boolean;
  status?: number;
}

/** `signal` aborts when the request times out; honouring it frees the in-flight slot at once. */
export type LoadRequest = (i: number, signal: AbortSignal) => Promise<RequestOutcome>;

/** Statistics of the requests whose intended send time fell in one second of the run. */
export interface SecondStats {
  /** 0-based second of the run, by intended send time. */
  second: number;
  scheduled: number;
  sent: number;
  ok: number;
  errors: number;
  /** Milliseconds from intended send time, over the requests sent in that second. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface OpenModelOptions {
  rps: number;
  durationSeconds: number;
  request: LoadRequest;
  /** Requests due while this many are outstanding are not sent and count as errors ("in_flight_limit"). */
  maxInFlight?: number;
  /** A request outstanding this long after it was sent is aborted and counts as an error ("timeout"). */
  timeoutMs?: number;
  /** Called once per second of the run, in order, when every request due in that second has finished. */
  onSecond?: (stats: SecondStats) => void;
  /** Lower hard cap on the number of requests than rps × durationSeconds (which must not exceed it). */
  maxRequests?: number;
}

export interface OpenModelResult {
  targetRps: number;
  /** Requests due in the run: rps × durationSeconds. Every one ends as ok or as an error. */
  scheduled: number;
  /** Requests handed to `request` (scheduled minus those refused by the in-flight cap). */
  sent: number;
  /** Requests that returned an outcome, ok or not, before their timeout. */
  completed: number;
  /** scheduled − ok: failed outcomes, timeouts, exceptions and in-flight-cap refusals. */
  errors: number;
  errorRate: number;
  /** completed / elapsedSeconds. */
  achievedRps: number;
  /** From t0 to the last finished request, at least durationSeconds. */
  elapsedSeconds: number;
  /** From each request's intended send time to its outcome (timeouts count at their timeout). */
  latencyMs: LatencySummary;
  /** How late the generator itself sent requests; a high p99 means the generator, not the target, was saturated. */
  sendLagMs: { p99: number; max: number };
  /** HTTP status (or "ok"/"failed" without one), "timeout", "exception", "in_flight_limit". */
  statusCounts: Record<string, number>;
  perSecond: SecondStats[];
}

export const OPEN_MODEL_LIMITS = {
  maxRps: 100_000,
  maxDurationSeconds: 3_600,
  maxRequests: 5_000_000,
  maxInFlight: 50_000,
  maxTimeoutMs: 120_000,
} as const;

const DEFAULT_TIMEOUT_MS = 5_000;
/** How often timeouts are checked once every request is sent. */
const SWEEP_MS = 5;
/** Requests dispatched in one event-loop turn when the generator is behind, so I/O still gets served. */
const MAX_BATCH = 1_000;

interface Pending {
  i: number;
  intendedAt: number;
  sentAt: number;
  second: number;
  controller: AbortController;
  done: boolean;
}

interface Bucket {
  scheduled: number;
  sent: number;
  ok: number;
  errors: number;
  pending: number;
  latency: LatencyHistogram;
}

interface Config {
  rps: number;
  durationSeconds: number;
  total: number;
  maxInFlight: number;
  timeoutMs: number;
}

export function validateOpenModel(options: OpenModelOptions): Config {
  const { rps, durationSeconds } = options;
  const limits = OPEN_MODEL_LIMITS;
  if (typeof options.request !== 'function') throw new Error('runOpenModel: request must be a function (i, signal) => Promise<{ ok, status? }>');
  if (!Number.isFinite(rps) || rps < 1 || rps > limits.maxRps) throw new Error(`runOpenModel: rps must be a number from 1 to ${limits.maxRps}, got ${rps}`);
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0 || durationSeconds > limits.maxDurationSeconds) {
    throw new Error(`runOpenModel: durationSeconds must be > 0 and <= ${limits.maxDurationSeconds}, got ${durationSeconds}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > limits.maxTimeoutMs) {
    throw new Error(`runOpenModel: timeoutMs must be > 0 and <= ${limits.maxTimeoutMs}, got ${timeoutMs}`);
  }
  // Little's law: enough slots for every request to wait its whole timeout, within the hard limit.
  const maxInFlight = options.maxInFlight ?? Math.min(limits.maxInFlight, Math.max(64, Math.ceil((rps * timeoutMs) / 1000)));
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > limits.maxInFlight) {
    throw new Error(`runOpenModel: maxInFlight must be an integer from 1 to ${limits.maxInFlight}, got ${maxInFlight}`);
  }
  const cap = Math.min(options.maxRequests ?? limits.maxRequests, limits.maxRequests);
  if (!Number.isInteger(cap) || cap < 1) throw new Error(`runOpenModel: maxRequests must be a positive integer, got ${options.maxRequests}`);
  const total = Math.floor(rps * durationSeconds + 1e-9);
  if (total < 1) throw new Error(`runOpenModel: rps × durationSeconds must be at least 1 request, got ${rps} × ${durationSeconds}`);
  if (total > cap) {
    throw new Error(`runOpenModel: ${rps} req/s for ${durationSeconds} s is ${total} requests, above the cap of ${cap}; shorten the run or lower the rate`);
  }
  return { rps, durationSeconds, total, maxInFlight, timeoutMs };
}

export function runOpenModel(options: OpenModelOptions): Promise<OpenModelResult> {
  const config = validateOpenModel(options);
  const { rps, total, maxInFlight, timeoutMs } = config;
  const intervalMs = 1000 / rps;
  const overall = new LatencyHistogram();
  const sendLag = new LatencyHistogram();
  const buckets = new Map<number, Bucket>();
  const pending = new Map<number, Pending>(); // insertion order = send order, so timeouts expire from the front
  const perSecond: SecondStats[] = [];
  const statusCounts: Record<string, number> = {};
  let next = 0;
  let sent = 0;
  let completed = 0;
  let ok = 0;
  let finished = 0;
  let inFlight = 0;
  let nextSecondToReport = 0;
  let callbackError: unknown;
  const t0 = performance.now();
  let lastFinishedAt = t0;

  const secondOf = (i: number) => Math.floor((i * intervalMs) / 1000 + 1e-9);
  const count = (key: string) => {
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
  };
  const bucketFor = (second: number): Bucket => {
    let bucket = buckets.get(second);
    if (!bucket) {
      bucket = { scheduled: 0, sent: 0, ok: 0, errors: 0, pending: 0, latency: new LatencyHistogram() };
      buckets.set(second, bucket);
    }
    return bucket;
  };

  const reportClosedSeconds = () => {
    const sendingSecond = next < total ? secondOf(next) : Number.POSITIVE_INFINITY;
    for (;;) {
      const bucket = buckets.get(nextSecondToReport);
      if (!bucket || nextSecondToReport >= sendingSecond || bucket.pending > 0) return;
      const latency = bucket.latency.summary();
      const stats: SecondStats = {
        second: nextSecondToReport,
        scheduled: bucket.scheduled,
        sent: bucket.sent,
        ok: bucket.ok,
        errors: bucket.errors,
        p50: latency.p50,
        p95: latency.p95,
        p99: latency.p99,
        max: latency.max,
      };
      bucket.latency.destroy();
      buckets.delete(nextSecondToReport);
      perSecond.push(stats);
      nextSecondToReport += 1;
      try {
        options.onSecond?.(stats);
      } catch (error) {
        callbackError ??= error;
      }
    }
  };

  const finish = (entry: Pending, outcome: 'ok' | 'failed' | 'timeout' | 'exception', key: string, at: number) => {
    entry.done = true;
    pending.delete(entry.i);
    const bucket = bucketFor(entry.second);
    const latencyMs = at - entry.intendedAt;
    overall.recordMs(latencyMs);
    bucket.latency.recordMs(latencyMs);
    bucket.pending -= 1;
    if (outcome === 'ok') {
      ok += 1;
      bucket.ok += 1;
    } else {
      bucket.errors += 1;
    }
    if (outcome === 'ok' || outcome === 'failed') completed += 1;
    count(key);
    finished += 1;
    lastFinishedAt = Math.max(lastFinishedAt, at);
    reportClosedSeconds();
  };

  const send = (i: number, now: number) => {
    const intendedAt = t0 + i * intervalMs;
    const second = secondOf(i);
    const bucket = bucketFor(second);
    bucket.scheduled += 1;
    if (inFlight >= maxInFlight) {
      bucket.errors += 1;
      count('in_flight_limit');
      finished += 1;
      return;
    }
    sent += 1;
    inFlight += 1;
    bucket.sent += 1;
    bucket.pending += 1;
    sendLag.recordMs(now - intendedAt);
    const entry: Pending = { i, intendedAt, sentAt: now, second, controller: new AbortController(), done: false };
    pending.set(i, entry);
    let promise: Promise<RequestOutcome>;
    try {
      promise = Promise.resolve(options.request(i, entry.controller.signal));
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (outcome) => {
        inFlight -= 1;
        if (entry.done) return;
        if (typeof outcome !== 'object' || outcome === null || typeof outcome.ok !== 'boolean') {
          finish(entry, 'exception', 'exception', performance.now());
          return;
        }
        const key = outcome.status !== undefined ? String(outcome.status) : outcome.ok ? 'ok' : 'failed';
        finish(entry, outcome.ok ? 'ok' : 'failed', key, performance.now());
      },
      () => {
        inFlight -= 1;
        if (!entry.done) finish(entry, 'exception', 'exception', performance.now());
      },
    );
  };

  const expireTimeouts = (now: number) => {
    for (const entry of pending.values()) {
      if (now - entry.sentAt < timeoutMs) return;
      entry.controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      finish(entry, 'timeout', 'timeout', now);
    }
  };

  return new Promise<OpenModelResult>((resolve, reject) => {
    const tick = () => {
      try {
        const now = performance.now();
        let batch = 0;
        while (next < total && t0 + next * intervalMs <= now && batch < MAX_BATCH) {
          send(next, now);
          next += 1;
          batch += 1;
        }
        expireTimeouts(now);
        reportClosedSeconds();
        if (finished === total) {
          resolve(result());
          return;
        }
        if (batch === MAX_BATCH) {
          setImmediate(tick);
          return;
        }
        const wait = next < total ? t0 + next * intervalMs - performance.now() : SWEEP_MS;
        if (wait <= 0) setImmediate(tick);
        else setTimeout(tick, Math.min(wait, SWEEP_MS));
      } catch (error) {
        reject(error);
      }
    };

    const result = (): OpenModelResult => {
      if (callbackError !== undefined) throw callbackError;
      const elapsedSeconds = Math.max(config.durationSeconds, (lastFinishedAt - t0) / 1000);
      const errors = total - ok;
      const latencyMs = overall.summary();
      const lag = sendLag.summary();
      overall.destroy();
      sendLag.destroy();
      return {
        targetRps: rps,
        scheduled: total,
        sent,
        completed,
        errors,
        errorRate: errors / total,
        achievedRps: completed / elapsedSeconds,
        elapsedSeconds,
        latencyMs,
        sendLagMs: { p99: lag.p99, max: lag.max },
        statusCounts,
        perSecond,
      };
    };

    tick();
  });
}
