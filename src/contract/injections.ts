import type { Dependency, Fault } from '../../sample-app/contract/index.ts';
import type { TargetSelector } from '../chaos/experiment.ts';

/** How the fault-matrix suite produces one dependency state: a fault verb of src/stack/faults on its targets, held for `seconds`. */
export interface Injection {
  verb: string;
  targets: TargetSelector[];
  params: Record<string, number | string>;
  seconds: number;
}

/** A cell the suite cannot produce on this stack yet, and why (printed as "not run here: <reason>"). */
export interface NotRunHere {
  notRunHere: string;
}

const route = (name: 'postgres-write' | 'postgres-read' | 'rabbitmq', verb: string, params: Record<string, number | string> = {}, seconds = 12): Injection => ({
  verb,
  targets: [{ service: 'toxiproxy' }],
  params: { route: name, ...(verb === 'route-down' ? {} : { toxicity: 1 }), ...params },
  seconds,
});
const on = (selector: TargetSelector, verb: string, seconds = 12, params: Record<string, number | string> = {}): Injection => ({ verb, targets: [selector], params, seconds });

/**
 * The injection of every cell of sample-app/contract's table. Toxiproxy sits on the API's routes to
 * HAProxy (write and read ports) and to RabbitMQ (CHAOS_STACK's `toxiproxy.routes`); Redis is reached
 * through Sentinel, so its faults act on the containers. Hung = `docker pause` or a blackhole shorter
 * than the leader lease; partitioned = data stops flowing on the route (the cluster itself stays whole).
 */
export const INJECTIONS: Readonly<Record<Dependency, Readonly<Record<Exclude<Fault, 'healthy'>, Injection | NotRunHere>>>> = {
  postgres_primary: {
    // Five round trips per order (BEGIN … COMMIT) at 1.2 s each outlast the statement budget.
    slow: route('postgres-write', 'latency', { latency: 1_200, jitter: 0, stream: 'downstream' }),
    hung: on({ service: 'postgres', role: 'primary' }, 'pause', 10),
    refusing: route('postgres-write', 'route-down'),
    failing_over: on({ service: 'postgres', role: 'primary' }, 'kill', 30),
    partitioned: route('postgres-write', 'blackhole', { timeout: 0 }),
    resource_alarm: { notRunHere: 'max_connections exhaustion and a full disk on the primary are not fault verbs of the chaos stack yet (disk-fill fills the data tmpfs and needs its own cleanup run)' },
  },
  postgres_replica: {
    slow: route('postgres-read', 'latency', { latency: 1_500, jitter: 0, stream: 'downstream' }),
    hung: on({ service: 'postgres', role: 'replica' }, 'pause', 10),
    refusing: route('postgres-read', 'route-down'),
    failing_over: on({ service: 'postgres', role: 'replica' }, 'restart', 5),
    partitioned: route('postgres-read', 'blackhole', { timeout: 0 }),
    resource_alarm: { notRunHere: 'max_connections exhaustion on a replica is not a fault verb yet' },
  },
  redis: {
    slow: { notRunHere: 'Redis is reached through Sentinel (the master’s own address), so no Toxiproxy route carries its latency' },
    hung: on({ service: 'redis', count: 'all' }, 'pause', 10),
    refusing: on({ service: 'redis', count: 'all' }, 'stop', 12),
    // Held past the cache's promise (CACHE_FAILOVER_BUDGET_MS + breaker open + reconnect cap: 9.1 s in the test profile).
    failing_over: on({ service: 'redis', role: 'master' }, 'kill', 20),
    partitioned: on({ service: 'redis', count: 'all' }, 'isolate', 12),
    resource_alarm: on({ service: 'redis', role: 'master' }, 'maxmemory', 12),
  },
  rabbitmq: {
    slow: route('rabbitmq', 'latency', { latency: 1_000, jitter: 0, stream: 'downstream' }),
    hung: on({ service: 'rabbitmq' }, 'pause', 10),
    refusing: route('rabbitmq', 'route-down'),
    failing_over: on({ service: 'rabbitmq' }, 'restart', 5),
    partitioned: route('rabbitmq', 'blackhole', { timeout: 0 }),
    resource_alarm: on({ service: 'rabbitmq' }, 'memory-alarm', 12),
  },
};

export const isInjection = (x: Injection | NotRunHere): x is Injection => 'verb' in x;
