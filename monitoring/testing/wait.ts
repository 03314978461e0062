import { detail } from '../../src/core/progress.ts';
import { sleep } from '../../src/core/poll.ts';

/**
 * A bounded wait that says what it waits for: a line when it starts, the state it last saw when it
 * gives up (from `describe`), and the last error a check threw. Checks that throw count as "not yet".
 */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, describe?: () => Promise<string>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  detail(`waiting up to ${Math.round(timeoutMs / 1000)} s for ${what}`);
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) break;
    await sleep(250);
  }
  const state = describe ? await describe().catch((e: Error) => e.message) : '';
  throw new Error(`${what}: not true within ${Math.round(timeoutMs / 1000)} s${state ? ` (now: ${state})` : ''}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
