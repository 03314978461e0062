import { postgresCluster } from '../../services/postgres/cluster.ts';
import { redisTier } from '../../services/redis/handle.ts';
import { resetToxiproxy } from '../stack/faults/index.ts';
import type { RunningStack } from '../stack/docker/stack.ts';

/**
 * Named rollbacks an experiment lists (Chaos Toolkit's `rollbacks`): they run after the faults' own undo,
 * always — when the hypothesis failed, when a step threw, and on Ctrl-C. Each is bounded.
 */
export const ROLLBACKS: Readonly<Record<string, { summary: string; run(stack: RunningStack): Promise<void> }>> = {
  'recover-all': {
    summary: 'every instance of the stack running, unfrozen and attached to its network (started, unpaused, reattached)',
    async run(stack) {
      for (const i of stack.all()) await i.recover();
    },
  },
  'postgres-healthy': {
    summary: 'every Patroni member restarted if down and the cluster healthy again (one leader, replicas streaming)',
    async run(stack) {
      const cluster = await postgresCluster(stack);
      for (const m of cluster.members) if (!(await m.instance.state()).running) await cluster.restart(m.name);
      await cluster.waitHealthy(180_000);
    },
  },
  'redis-settled': {
    summary: 'every Sentinel out of TILT and naming one master, every other Redis node linked to it',
    run: (stack) => redisTier(stack).waitSettled(120_000),
  },
  'toxiproxy-reset': {
    summary: 'every toxic removed and every route enabled',
    run: (stack) => resetToxiproxy(stack.first('toxiproxy')),
  },
  'instances-ready': {
    summary: "every instance passing its own health command (bounded by its spec's start period)",
    async run(stack) {
      for (const i of stack.all()) await i.waitReady();
    },
  },
};
