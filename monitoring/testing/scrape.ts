import { scrapeDownAlert } from '../../services/prometheus/scrape-health.ts';
import type { InstanceHandle } from '../../src/core/spec.ts';
import type { AlertScenario } from './scenario.ts';

export interface StoppedOptions {
  /** Further alerts the same stop must raise (e.g. DatabaseDown from the member's exporter), with their labels. */
  alsoFires?: Record<string, Record<string, string>>;
  /** Runs once the instance is healthy again (e.g. reload nginx, wait for the cluster). */
  afterStart?: () => Promise<void>;
}

/**
 * One instance stopped (SIGTERM, SIGKILL after 1 s): its job's scrape-health alert must fire for that
 * instance and resolve once it is started again.
 */
export function stoppedScenario(instance: InstanceHandle, job: string, options: StoppedOptions = {}): AlertScenario {
  const alert = scrapeDownAlert(job);
  return {
    fault: `${instance.name} stopped`,
    fires: [alert, ...Object.keys(options.alsoFires ?? {})],
    labels: { [alert]: { job, instance: instance.name }, ...options.alsoFires },
    inject: () => instance.stop(1),
    remove: async () => {
      await instance.start();
      await instance.waitReady();
      await options.afterStart?.();
    },
  };
}
