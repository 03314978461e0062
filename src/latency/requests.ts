import type { LoadRequest } from '../load/open-model.ts';

export interface FailureLog {
  /** Failures since `since` (performance.now() ms), counted by whole second after it and status. */
  bySecond(since: number): Record<number, Record<string, number>>;
  clear(): void;
}

const MAX_FAILURES = 100_000;

/** Remembers when each failed request finished and how (status, "exception"), for explaining a run. */
export function loggingFailures(inner: LoadRequest): { request: LoadRequest; failures: FailureLog } {
  let log: Array<{ at: number; status: string }> = [];
  const note = (status: string) => {
    if (log.length < MAX_FAILURES) log.push({ at: performance.now(), status });
  };
  const request: LoadRequest = async (i, signal) => {
    try {
      const outcome = await inner(i, signal);
      if (!outcome.ok) note(String(outcome.status ?? 'failed'));
      return outcome;
    } catch (error) {
      note(signal.aborted ? 'timeout' : 'exception');
      throw error;
    }
  };
  return {
    request,
    failures: {
      bySecond(since) {
        const out: Record<number, Record<string, number>> = {};
        for (const f of log) {
          if (f.at < since) continue;
          const s = Math.floor((f.at - since) / 1000);
          const row = (out[s] ??= {});
          row[f.status] = (row[f.status] ?? 0) + 1;
        }
        return out;
      },
      clear() {
        log = [];
      },
    },
  };
}
