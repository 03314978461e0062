import { waitFor } from '../../src/core/poll.ts';
import type { InstanceHandle, StackHandle } from '../../src/core/spec.ts';
import { redisInfo } from './probe.ts';
import { MASTER_NAME, SENTINEL_PORT } from './spec.ts';

/** What one Sentinel says (`INFO sentinel`): the master it names and how many replicas and Sentinels it knows. */
export interface SentinelView {
  sentinel: string;
  /** Host name of the master, undefined when the Sentinel does not answer. */
  master?: string;
  tilt: boolean;
  /** Replicas and Sentinels (itself included) it knows for the master: 2 and 3 when the tier is whole. */
  replicas: number;
  sentinels: number;
  error?: string;
}

/** The Redis tier of a stack: its nodes, its Sentinels, and who they name as master. */
export interface RedisTier {
  nodes: InstanceHandle[];
  sentinels: InstanceHandle[];
  /** The node the (first reachable) Sentinel names as master. */
  master(): Promise<InstanceHandle>;
  /** Every Sentinel's view, read in parallel (a Sentinel that does not answer has `error`). */
  views(): Promise<SentinelView[]>;
  /** The node a majority of the Sentinels names, if any. */
  majorityMaster(): Promise<InstanceHandle | undefined>;
  /** Polls until a majority of the Sentinels names a node other than `old` (for which `accept`, if given, holds too), and returns it. */
  waitForPromotion(old: InstanceHandle, options: { timeoutMs: number; intervalMs?: number; accept?: (node: InstanceHandle) => Promise<boolean> }): Promise<InstanceHandle>;
  /**
   * Every Sentinel out of TILT, naming the same master and knowing every replica and Sentinel; that node a
   * master and every other node linked to it: where a drill must start from and what it must leave.
   */
  waitSettled(timeoutMs?: number): Promise<void>;
  /** What Sentinel and each node think, for a failure message. */
  diagnostics(): Promise<string>;
}

/**
 * A client beside a Redis node (`redis-cli` inside its container, so it keeps reaching the node when the node is
 * cut off from the network): SET <prefix><n> (expiring after `expireSeconds`) every `intervalMs` until `stop()` or `maxSeconds`. `stop()` resolves
 * to every attempt with its wall-clock time (ms since the epoch) and the node's reply (`OK`, or the error, e.g.
 * `NOREPLICAS Not enough good replicas to write.`).
 */
export function colocatedWriter(node: InstanceHandle, keyPrefix: string, options: { intervalMs: number; maxSeconds: number; expireSeconds: number }) {
  const stopFile = `/tmp/refstack-writer-${process.pid}-${Date.now()}`;
  const script = [
    `end=$(( $(date +%s) + ${options.maxSeconds} )); i=0`,
    `while [ "$(date +%s)" -lt "$end" ] && [ ! -e ${stopFile} ]; do`,
    `  i=$((i+1)); reply=$(redis-cli set '${keyPrefix}'$i $i ex ${options.expireSeconds} 2>&1 | head -1); echo "$i $(date +%s%3N) $reply"`,
    `  sleep ${options.intervalMs / 1000}`,
    'done; true',
  ].join('\n');
  const run = node.sh(script, { timeoutMs: (options.maxSeconds + 30) * 1000 });
  run.catch(() => undefined); // awaited (and its error thrown) by stop()
  return {
    async stop(): Promise<Array<{ seq: number; atMs: number; reply: string }>> {
      await node.sh(`touch ${stopFile}`).catch(() => undefined);
      const out = await run;
      await node.sh(`rm -f ${stopFile}`).catch(() => undefined);
      return out
        .split('\n')
        .map((line) => /^(\d+) (\d+) (.*)$/.exec(line.trim()))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => ({ seq: Number(m[1]), atMs: Number(m[2]), reply: m[3]! }));
    },
  };
}

const field = (line: string, key: string) => new RegExp(`${key}=([^,]+)`).exec(line)?.[1];

export function redisTier(stack: StackHandle): RedisTier {
  const nodes = stack.instances('redis');
  const sentinels = stack.instances('redis-sentinel');
  const views = () =>
    Promise.all(
      sentinels.map(async (s): Promise<SentinelView> => {
        try {
          const info = await redisInfo(await s.hostPort('sentinel'), 'sentinel');
          // master0:name=mymaster,status=ok,address=redis1:6379,slaves=2,sentinels=3
          const line = Object.entries(info).find(([k, v]) => /^master\d+$/.test(k) && field(v, 'name') === MASTER_NAME)?.[1] ?? '';
          const address = field(line, 'address');
          return {
            sentinel: s.name,
            ...(address ? { master: address.slice(0, address.lastIndexOf(':')) } : {}),
            tilt: info.sentinel_tilt !== '0',
            replicas: Number(field(line, 'slaves') ?? 0),
            sentinels: Number(field(line, 'sentinels') ?? 0),
          };
        } catch (error) {
          return { sentinel: s.name, tilt: false, replicas: 0, sentinels: 0, error: (error as Error).message };
        }
      }),
    );
  const majorityMaster = async () => {
    const names = (await views()).map((v) => v.master).filter((m): m is string => !!m);
    const top = names.find((m) => names.filter((n) => n === m).length > sentinels.length / 2);
    return nodes.find((n) => n.name === top);
  };
  return {
    nodes,
    sentinels,
    views,
    majorityMaster,
    async master() {
      const host = (await views()).find((v) => v.master)?.master;
      const node = nodes.find((n) => n.name === host);
      if (!node) throw new Error(`Sentinel names ${host ?? 'no master'}, which is not one of ${nodes.map((n) => n.name).join(', ')}`);
      return node;
    },
    waitForPromotion(old, { timeoutMs, intervalMs = 100, accept }) {
      return waitFor(
        `a majority of the Sentinels naming a master other than ${old.name}`,
        async () => {
          const named = await majorityMaster();
          return named && named !== old && (!accept || (await accept(named))) ? named : undefined;
        },
        { timeoutMs, intervalMs },
      );
    },
    async waitSettled(timeoutMs = 60_000) {
      let last = '';
      await waitFor(
        'every Sentinel out of TILT and naming one master that every other Redis node is linked to',
        async () => {
          const seen = await views();
          last = seen.map((v) => `${v.sentinel}: ${v.error ?? `${v.master ?? '?'}${v.tilt ? ' TILT' : ''}, ${v.replicas} replicas, ${v.sentinels} sentinels`}`).join('; ');
          const master = seen[0]?.master;
          const whole = seen.every((v) => !v.error && !v.tilt && v.master === master && v.replicas === nodes.length - 1 && v.sentinels === sentinels.length);
          // Sentinel never forgets a peer or replica it once saw: more than exist means a stale entry (a Sentinel
          // that lost its state and came back with a new id), which also raises the votes a failover needs.
          const stale = seen.some((v) => v.replicas > nodes.length - 1 || v.sentinels > sentinels.length);
          if (stale) throw new Error(`${last} — more than the ${sentinels.length} Sentinels and ${nodes.length - 1} replicas that exist: run \`SENTINEL RESET ${MASTER_NAME}\` on each Sentinel in turn, waiting for sentinels=${sentinels.length} before the next`);
          if (!whole) throw new Error(last);
          const roles = await Promise.all(nodes.map(async (n) => ({ name: n.name, info: await redisInfo(await n.hostPort('redis'), 'replication') })));
          const ok = roles.every((r) => (r.name === master ? r.info.role === 'master' : r.info.role === 'slave' && r.info.master_host === master && r.info.master_link_status === 'up'));
          if (!ok) throw new Error(`${last}; ${roles.map((r) => `${r.name} ${r.info.role}${r.info.master_host ? ` of ${r.info.master_host} link ${r.info.master_link_status}` : ''}`).join(', ')}`);
          return true;
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
