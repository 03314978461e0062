import { apiClient } from '../../services/sample-app/client.ts';
import type { StackHandle } from '../../src/core/spec.ts';
import { seedBusiness, warmCache } from './faults.ts';
import { BackgroundLoad, HEALTHY_TRAFFIC, SKEW_READS } from './load.ts';

/** The two background loads of a healthy day: mixed traffic through nginx, and extra reads to the first API instance only. */
export interface HealthyDay {
  through: BackgroundLoad;
  skew: BackgroundLoad;
  all: BackgroundLoad[];
}

/**
 * Seeds the business data, warms the cache and starts a healthy day's traffic ({@link HEALTHY_TRAFFIC}
 * through nginx, {@link SKEW_READS} more reads/s straight to the first API instance, so the instances answer
 * at different rates). Both loads stop by themselves after `maxSeconds`; stop them earlier with `stop()`.
 */
export async function startHealthyDay(stack: StackHandle, maxSeconds: number): Promise<HealthyDay> {
  const api = await apiClient(stack);
  await seedBusiness(api);
  await warmCache(stack);
  const through = new BackgroundLoad(api.baseUrl, api.key);
  through.set(HEALTHY_TRAFFIC);
  const skew = new BackgroundLoad(await stack.first('sample-api').url('http'), api.key);
  skew.set({ hotReads: SKEW_READS });
  for (const load of [through, skew]) load.start(maxSeconds);
  return { through, skew, all: [through, skew] };
}
