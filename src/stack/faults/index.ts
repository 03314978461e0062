import { CONTAINER_FAULTS, type FaultSpec, type ServiceSpec } from '../../core/spec.ts';
import { isolate, kill, partition, pause, restart, stop } from './container.ts';
import { dnsFailure, flap } from './network.ts';
import { cpuHog, diskFill, memoryHog } from './resources.ts';
import { appFaults, clockSkew, crashPostgres, memoryAlarm, redisMaxmemory } from './service.ts';
import { bandwidth, blackhole, latency, resetPeer, routeDown } from './toxics.ts';
import type { FaultVerb } from './verb.ts';

export type { FaultParams, FaultVerb, Injected, ParamSpec } from './verb.ts';
export { resetToxiproxy } from './toxics.ts';

/** Every fault verb, by name: the container verbs, then the ones of particular services. */
export const FAULT_VERBS: readonly FaultVerb[] = [
  kill,
  stop,
  restart,
  pause,
  isolate,
  partition,
  flap,
  dnsFailure,
  cpuHog,
  memoryHog,
  diskFill,
  crashPostgres,
  clockSkew,
  memoryAlarm,
  redisMaxmemory,
  appFaults,
  latency,
  bandwidth,
  resetPeer,
  blackhole,
  routeDown,
];

/**
 * Verbs a spec declares that are not fault verbs of this library, and where they live instead: a
 * planned switchover is a scenario runbook; node-exporter's are driven by the monitoring suites.
 */
export const DECLARED_ELSEWHERE: Readonly<Record<string, string>> = {
  switchover: 'a scenario runbook (src/scenarios/postgres.ts switchover; an experiment runs it as `scenario: switchover`)',
  'burn-cpu': "container-node's busy loop inside its CPU quota, run by the monitoring suites (the chaos library's verb is cpu-hog)",
  'hold-memory': "container-node's memory holder inside its limit, run by the monitoring suites (the chaos library's verb is memory-hog)",
  'fill-disk': "node-exporter's small tmpfs, filled by the monitoring suites (the chaos library's verb is disk-fill)",
};

export function faultVerb(name: string): FaultVerb {
  const found = FAULT_VERBS.find((f) => f.verb === name);
  if (!found) throw new Error(`unknown fault "${name}": the fault library has ${FAULT_VERBS.map((f) => f.verb).join(', ')}`);
  return found;
}

/** The fault verbs a service's spec offers: every container's, and its own. */
export function declaredVerbs(spec: ServiceSpec): FaultSpec[] {
  return [...CONTAINER_FAULTS, ...(spec.faults ?? [])];
}
