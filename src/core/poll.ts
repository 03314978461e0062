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
