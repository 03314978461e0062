import { waitFor } from '../../src/core/poll.ts';
import type { InstanceHandle, StackHandle } from '../../src/core/spec.ts';

export interface NodeView {
  node: string;
  /** Nodes this node sees running (itself included) and the partitions it reports; `error` when it did not answer. */
  running: string[];
  partitions: string[];
  error?: string;
}

export interface QueueView {
  name: string;
  leader: string;
  members: string[];
  online: string[];
}

/** The stack's RabbitMQ nodes with the views `rabbitmqctl` gives of them: membership, partitions, quorum queue members. */
export class BrokerCluster {
  constructor(
    readonly stack: StackHandle,
    readonly nodes: readonly InstanceHandle[],
  ) {}

  /** rabbit@<instance name>: the Erlang node of an instance (its hostname is its instance name). */
  static nodeName(instance: InstanceHandle): string {
    return `rabbit@${instance.name}`;
  }

  instanceOf(node: string): InstanceHandle {
    const found = this.nodes.find((n) => BrokerCluster.nodeName(n) === node);
    if (!found) throw new Error(`no instance runs RabbitMQ node ${node} (nodes: ${this.nodes.map(BrokerCluster.nodeName).join(', ')})`);
    return found;
  }

  /** amqp://user:pass@127.0.0.1:<port> for every node, in node order. */
  async hostUrls(): Promise<string[]> {
    const s = this.stack.secrets;
    return Promise.all(this.nodes.map(async (n) => `amqp://${s.rabbitmqUser}:${s.rabbitmqPassword}@127.0.0.1:${await n.hostPort('amqp')}`));
  }

  async view(instance: InstanceHandle): Promise<NodeView> {
    const node = BrokerCluster.nodeName(instance);
    try {
      const status = JSON.parse(await instance.sh('rabbitmqctl -q cluster_status --formatter json', { user: 'root', timeoutMs: 15_000 })) as { running_nodes?: string[]; partitions?: Record<string, string[]> };
      return { node, running: status.running_nodes ?? [], partitions: Object.entries(status.partitions ?? {}).map(([n, with_]) => `${n} cut off from ${with_.join(', ')}`) };
    } catch (error) {
      return { node, running: [], partitions: [], error: (error as Error).message.split('\n')[0] ?? 'no answer' };
    }
  }

  /** The quorum queues as a running node lists them. */
  async queues(via?: InstanceHandle): Promise<QueueView[]> {
    const on = via ?? this.nodes[0]!;
    const rows = JSON.parse(await on.sh('rabbitmqctl -q list_queues name type leader members online --formatter json', { user: 'root', timeoutMs: 15_000 })) as Array<{ name: string; type: string; leader: string; members: string[] | string; online: string[] | string }>;
    const list = (v: string[] | string) => (Array.isArray(v) ? v : v ? [v] : []);
    return rows.filter((r) => r.type === 'quorum').map((r) => ({ name: r.name, leader: r.leader, members: list(r.members), online: list(r.online) }));
  }

  async queue(name: string, via?: InstanceHandle): Promise<QueueView> {
    const found = (await this.queues(via)).find((q) => q.name === name);
    if (!found) throw new Error(`no quorum queue ${name} on the cluster`);
    return found;
  }

  /**
   * Settled: every node answers and sees all of them running, none reports a partition, and each named quorum
   * queue has a member online on every node. Throws with what is still off after `timeoutMs`.
   */
  async waitSettled(queues: readonly string[], timeoutMs: number): Promise<void> {
    const all = this.nodes.map(BrokerCluster.nodeName);
    await waitFor(
      `RabbitMQ cluster of ${all.join(', ')} settled`,
      async () => {
        const views = await Promise.all(this.nodes.map((n) => this.view(n)));
        const problems = views.flatMap((v) => (v.error ? [`${v.node}: ${v.error}`] : [...v.partitions, ...all.filter((n) => !v.running.includes(n)).map((n) => `${v.node} does not see ${n} running`)]));
        if (!problems.length) {
          for (const name of queues) {
            const q = await this.queue(name);
            const offline = all.filter((n) => !q.online.includes(n));
            if (offline.length) problems.push(`queue ${name} has no online member on ${offline.join(', ')} (members: ${q.members.join(', ')})`);
          }
        }
        if (problems.length) throw new Error(problems.join('; '));
        return true;
      },
      { timeoutMs, intervalMs: 1_000 },
    );
  }
}

export function brokerCluster(stack: StackHandle): BrokerCluster {
  return new BrokerCluster(stack, stack.instances('rabbitmq'));
}
