import { cpus, loadavg } from 'node:os';

/** Polls `probe` until it returns a value other than undefined, or fails with what was awaited. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${(options.timeoutMs / 1000).toFixed(0)} s waiting for ${what}${why}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const seconds = (fromMs: number, toMs: number) => Number(((toMs - fromMs) / 1000).toFixed(2));

/** Host load at or below which a latency figure is measured: 2.5 runnable tasks per core (1-minute load average). */
export const QUIET_LOAD_PER_CORE = 2.5;

/**
 * Waits (at most `maxWaitMs`) until the host's 1-minute load average is at most `perCore` × cores, and
 * returns what it found: a latency benchmark wants a quiet machine (a previous suite's restarts and
 * resyncs doubled the latency suite's p95 on 2 cores), but is measured anyway after the bound, with the
 * load in its note. Never throws.
 */
export async function waitForQuietHost(maxWaitMs: number, perCore = QUIET_LOAD_PER_CORE): Promise<{ loadAverage: number; waitedSeconds: number; quiet: boolean; limit: number }> {
  const limit = cpus().length * perCore;
  const since = performance.now();
  while (loadavg()[0]! > limit && performance.now() - since < maxWaitMs) await sleep(2_000);
  const loadAverage = Number(loadavg()[0]!.toFixed(1));
  return { loadAverage, waitedSeconds: Math.round((performance.now() - since) / 1000), quiet: loadAverage <= limit, limit };
}
