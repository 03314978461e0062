import { waitFor } from '../../src/core/poll.ts';
import type { InstanceHandle, StackHandle } from '../../src/core/spec.ts';
import { redisInfo, sentinelMaster } from './probe.ts';
import { MASTER_NAME, SENTINEL_PORT } from './spec.ts';

/** The Redis tier of a stack: its nodes, its Sentinels, and who they name as master. */
export interface RedisTier {
  nodes: InstanceHandle[];
  sentinels: InstanceHandle[];
  /** The node the (first reachable) Sentinel names as master. */
  master(): Promise<InstanceHandle>;
  /** Sentinel out of TILT and every replica linked to its master: where a failover drill must start from. */
  waitSettled(timeoutMs?: number): Promise<void>;
  /** What Sentinel and each node think, for a failure message. */
  diagnostics(): Promise<string>;
}

export function redisTier(stack: StackHandle): RedisTier {
  const nodes = stack.instances('redis');
  const sentinels = stack.instances('redis-sentinel');
  const named = async () => {
    for (const s of sentinels) {
      const [host] = await sentinelMaster(await s.hostPort('sentinel'), MASTER_NAME).catch(() => [] as string[]);
      if (host) return host;
    }
    return undefined;
  };
  return {
    nodes,
    sentinels,
    async master() {
      const host = await named();
      const node = nodes.find((n) => n.name === host);
      if (!node) throw new Error(`Sentinel names ${host ?? 'no master'}, which is not one of ${nodes.map((n) => n.name).join(', ')}`);
      return node;
    },
    async waitSettled(timeoutMs = 60_000) {
      await waitFor(
        'Sentinel out of TILT and every replica linked to its master',
        async () => {
          const tilt = await Promise.all(sentinels.map(async (s) => (await s.exec(['redis-cli', '-p', String(SENTINEL_PORT), 'info', 'sentinel'])).stdout));
          if (!tilt.every((t) => /sentinel_tilt:0/.test(t))) return undefined;
          const roles = await Promise.all(nodes.map(async (n) => redisInfo(await n.hostPort('redis'), 'replication')));
          return roles.filter((r) => r.role === 'master').length === 1 && roles.every((r) => r.role === 'master' || r.master_link_status === 'up') ? true : undefined;
        },
        { timeoutMs, intervalMs: 500 },
      );
    },
    async diagnostics() {
      const parts = await Promise.all([
        ...sentinels.map(async (s) => `--- ${s.name} ---\n${(await s.exec(['sh', '-c', `redis-cli -p ${SENTINEL_PORT} sentinel masters; redis-cli -p ${SENTINEL_PORT} sentinel replicas ${MASTER_NAME}`]).catch((e: Error) => ({ output: e.message }))).output}\n${(await s.logs({ tail: 40 }).catch(() => '')).slice(-3000)}`),
        ...nodes.map(async (n) => `--- ${n.name} role ---\n${(await n.exec(['redis-cli', 'role']).catch((e: Error) => ({ output: e.message }))).output}`),
      ]);
      return parts.join('\n');
    },
  };
}
