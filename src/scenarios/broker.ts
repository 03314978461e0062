import { seconds, sleep, waitFor } from '../core/poll.ts';
import type { Target } from '../core/results/target.ts';
import type { InstanceHandle } from '../core/spec.ts';
import { targets } from '../core/targets.ts';
import { brokerCluster, BrokerCluster } from '../../services/rabbitmq/cluster.ts';
import { declareDrillQueue, deleteQueue, longestGap, startTraffic } from '../../services/rabbitmq/traffic.ts';
import { apiClient } from '../../services/sample-app/client.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

/** The sample app's work queue (sample-app/src/shared/amqp.ts QUEUE): it must keep a member on every node too. */
const WORK_QUEUE = 'events.process';
const DRILL_QUEUE = 'refstack.drill.node-loss';
const RATE_PER_SECOND = 40;
const CONFIRM_TIMEOUT_MS = 3_000;
const HEARTBEAT_SECONDS = 2;
const ORDER_INTERVAL_MS = 1_000;

interface NodeFault {
  /** kill, freeze, isolate: the figure names' middle part. */
  name: string;
  describe: (node: string) => string;
  inject: (node: InstanceHandle) => Promise<void>;
  /** How long the fault lasts, from the profile: a cut-off node must outlast net_ticktime to be declared down. */
  holdSeconds: (ctx: ScenarioContext) => number;
  undo: (node: InstanceHandle) => Promise<void>;
}

/**
 * Kill: the node is gone and its peers see its connections close at once. Freeze: a stall shorter than
 * failure detection (half of net_ticktime), as a long GC pause or a stuck disk would be: nobody declares the
 * node down, so its queues wait for the thaw. Isolate: cut off for longer than detection (1.25 × net_ticktime
 * + 5 s): pause_minority stops its broker and the majority elects new leaders.
 */
const FAULTS: readonly NodeFault[] = [
  { name: 'kill', describe: (n) => `SIGKILL ${n}, start it again after`, inject: (n) => n.kill('SIGKILL'), holdSeconds: () => 10, undo: (n) => n.recover() },
  {
    name: 'freeze',
    describe: (n) => `freeze ${n} (cgroup freezer) for less than failure detection, thaw it after`,
    inject: (n) => n.pause(),
    holdSeconds: (ctx) => Math.max(1, Math.floor(0.5 * ctx.profile.broker.netTicktimeSeconds)),
    undo: (n) => n.unpause(),
  },
  {
    name: 'isolate',
    describe: (n) => `disconnect ${n} from the stack's network for longer than failure detection (pause_minority stops its broker), reattach it after`,
    inject: (n) => n.isolate(),
    holdSeconds: (ctx) => Math.ceil(1.25 * ctx.profile.broker.netTicktimeSeconds) + 5,
    undo: (n) => n.recover(),
  },
];

/** The node holding the queue's Raft leader: losing it costs an election, the worst case for publishers. */
async function leaderOf(cluster: BrokerCluster, queue: string): Promise<InstanceHandle> {
  return cluster.instanceOf((await cluster.queue(queue)).leader);
}

/** Orders through the API every second while the faults run: each must be processed by the worker in the end. */
function orderLoad(ctx: ScenarioContext, maxSeconds: number) {
  let running = true;
  const ids: string[] = [];
  let refused = 0;
  let failure: Error | undefined;
  const loop = (async () => {
    const api = await apiClient(ctx.stack);
    const userId = await api.createUser('broker-node-loss');
    const end = performance.now() + maxSeconds * 1000;
    while (running && performance.now() < end) {
      const r = await api.createOrder(userId, String((ids.length % 100) + 1));
      if (r.status === 201) ids.push((r.body as { id: string }).id);
      else refused++;
      await sleep(ORDER_INTERVAL_MS);
    }
    return api;
  })().catch((error: Error) => {
    failure = error;
    return undefined;
  });
  return {
    async stop() {
      running = false;
      const api = await loop;
      if (!api) throw new Error(`the order load did not start: ${failure?.message}`);
      return { api, ids, refused };
    },
  };
}

export const brokerNodeLoss: Scenario = {
  name: 'rabbitmq-node-loss',
  title: 'RabbitMQ node lost: killed, frozen, cut off',
  claim: "under confirmed publishing and consuming, killing, freezing and isolating the node that leads the quorum queue (one after the other, each undone) loses no confirmed message; publishing pauses at most 1.25 × net_ticktime plus an election and the client's move (test 20.5 s, production 83 s), duplicates are counted, and every order the API accepted meanwhile is processed by the worker",
  services: ['rabbitmq', 'nginx', 'sample-worker'],
  resultPrefix: 'rabbitmq',
  drill: true,
  async run(ctx) {
    const cluster = brokerCluster(ctx.stack);
    ctx.check(cluster.nodes.length >= 3, `the stack runs ${cluster.nodes.length} RabbitMQ node(s): node loss needs three (a majority of the quorum queue's members survives one)`);
    const recovery = ctx.promises.queueRecoverySeconds;
    const within: Target = { op: '<=', value: ctx.promises.queueNodeLossSeconds };
    const queues = [WORK_QUEUE];
    const settle = () => cluster.waitSettled(queues, 180_000);
    await ctx.step('the cluster is settled: three nodes running, no partition, the work queue online on every node', settle);
    const urls = await cluster.hostUrls();
    await ctx.step(`declare the drill's quorum queue ${DRILL_QUEUE}`, async () => {
      await declareDrillQueue(urls[0]!, DRILL_QUEUE);
      queues.push(DRILL_QUEUE);
      await settle();
    });
    ctx.onRollback(`the drill queue ${DRILL_QUEUE} deleted`, () => deleteQueue(urls, DRILL_QUEUE));
    ctx.onRollback('every RabbitMQ node running, attached and in the cluster', async () => {
      for (const n of cluster.nodes) await n.recover();
      await settle();
    });

    const traffic = startTraffic({ urls, queue: DRILL_QUEUE, ratePerSecond: RATE_PER_SECOND, confirmTimeoutMs: CONFIRM_TIMEOUT_MS, heartbeatSeconds: HEARTBEAT_SECONDS, maxSeconds: 600 });
    const orders = orderLoad(ctx, 600);
    const pauses: number[] = [];
    const consumePauses: number[] = [];
    let tally;
    let placed;
    try {
      await ctx.step('confirmed publishing and consuming flow (3 s)', async () => {
        await sleep(3_000);
        ctx.check(traffic.confirms.length > 0 && traffic.deliveries.length > 0, `no traffic: ${traffic.confirms.length} confirms, ${traffic.deliveries.length} deliveries in 3 s`);
      });
      for (const fault of FAULTS) {
        const node = await leaderOf(cluster, DRILL_QUEUE);
        const hold = fault.holdSeconds(ctx);
        const at = ctx.mark(`${fault.name}: ${fault.describe(node.name)}`);
        await ctx.step(`${fault.describe(node.name)} (${hold} s)`, async () => {
          await fault.inject(node);
          await sleep(hold * 1000);
          await fault.undo(node);
        });
        await ctx.step(`${node.name} is back in the cluster, both queues online on every node`, settle);
        const settledAt = ctx.mark(`${fault.name}: cluster settled`);
        await ctx.step('publishers and consumers are flowing again', () =>
          waitFor('new confirms and deliveries', async () => {
            const [c, d] = [traffic.confirms.length, traffic.deliveries.length];
            await sleep(1_000);
            return traffic.confirms.length > c && traffic.deliveries.length > d ? true : undefined;
          }, { timeoutMs: recovery * 1000, intervalMs: 0 }),
        );
        const flowingAt = performance.now();
        const pause = longestGap(traffic.confirms, at, flowingAt);
        const consumePause = longestGap(traffic.deliveries, at, flowingAt);
        pauses.push(pause);
        consumePauses.push(consumePause);
        ctx.figure(`node_${fault.name}_publish_pause_seconds`, pause, 's', { note: `longest gap between confirms from the ${fault.name} of ${node.name} (leader of ${DRILL_QUEUE}) until both sides flow again, ${seconds(at, flowingAt)} s later` });
        ctx.figure(`node_${fault.name}_consume_pause_seconds`, consumePause, 's', { note: 'longest gap between deliveries, same window' });
        ctx.figure(`node_${fault.name}_rejoin_seconds`, Number((seconds(at, settledAt) - hold).toFixed(2)), 's', { note: `${fault.name} undone → ${node.name} running in the cluster with every queue member online` });
      }
    } finally {
      tally = await traffic.stop(60_000);
      placed = await orders.stop();
      for (const m of traffic.moves) ctx.mark(`${m.side} moved to ${m.to} (${m.why})`, m.at);
    }
    ctx.figure('node_loss_lost_confirmed', tally.lost.length, 'messages', {
      target: targets.environment.lostConfirmedMessages,
      note: `${tally.confirmed} confirmed, ${tally.received} received${tally.lost.length ? `; lost: ${tally.lost.slice(0, 10).join(', ')}` : ''}`,
    });
    ctx.figure('node_loss_duplicates', tally.duplicates, 'messages', { note: `at-least-once: republished after a missed confirm or redelivered after a lost consumer; ${tally.publisherReconnects} publisher and ${tally.consumerReconnects} consumer moves to another node` });
    if (pauses.length) {
      ctx.figure('node_loss_publish_pause_seconds', Math.max(...pauses), 's', { target: within, note: `the longest of kill/freeze/isolate (${pauses.join(' / ')} s); promise: 1.25 × net_ticktime + election and client move` });
      ctx.figure('node_loss_consume_pause_seconds', Math.max(...consumePauses), 's', { target: within, note: `longest gap between deliveries (${consumePauses.join(' / ')} s)` });
    }
    const { api, ids, refused } = placed;
    let processed = 0;
    await ctx.step(`every order the API accepted during the faults (${ids.length}) is processed by the worker`, () =>
      waitFor('every order processed', async () => {
        const answers = await Promise.all(ids.map((id) => api.call('GET', `/v1/orders/${id}`)));
        processed = answers.filter((a) => a.status === 200 && (a.body as { status?: string }).status === 'processed').length;
        return processed === ids.length ? true : undefined;
      }, { timeoutMs: recovery * 1000, intervalMs: 1_000 }),
    ).catch(() => undefined);
    ctx.figure('node_loss_unprocessed_orders', ids.length - processed, 'orders', { target: targets.environment.unprocessedOrders, note: `${ids.length} orders accepted by the API during the faults, ${refused} refused` });
  },
};
