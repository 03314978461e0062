import { profile as loadProfile, type Profile, type ProfileName } from '../core/profiles.ts';
import { instanceNames, port, type Secrets, type ServiceSpec, type SpecContext } from '../core/spec.ts';
import { CORE_SERVICES, STACK, withDependencies } from './definition.ts';

/** What a caller asks of the stack: `refstack up` flags, or a suite's needs. */
export interface StackRequest {
  profile: ProfileName;
  /** Services to run; their dependencies come along. Default: every service that runs on any machine. */
  services?: readonly string[];
  /** Instance counts within each service's `scale`. */
  replicas?: Readonly<Record<string, number>>;
  /** Stack options (each declared by the spec that reads it). */
  options?: Readonly<Record<string, string>>;
}

export interface PlannedInstance {
  spec: ServiceSpec;
  name: string;
  index: number;
  ctx: SpecContext;
}

/** The resolved stack: services in start order, their instances, and what each instance's spec functions see. */
export interface StackPlan {
  request: Required<StackRequest>;
  profile: Profile;
  specs: ServiceSpec[];
  instances: PlannedInstance[];
  instancesOf(service: string): PlannedInstance[];
  secrets: Secrets;
}

/**
 * Resolves a request against the one stack. Errors name what is wrong and what is allowed: an unknown
 * service, a replica count outside a service's scale, an option no service in the stack reads.
 */
export function planStack(request: StackRequest, secrets: Secrets, stack: readonly ServiceSpec[] = STACK): StackPlan {
  const profile = loadProfile(request.profile);
  const specs = withDependencies(request.services ?? CORE_SERVICES, stack);
  const replicas = request.replicas ?? {};
  const options = request.options ?? {};
  for (const [service, count] of Object.entries(replicas)) {
    const spec = specs.find((s) => s.name === service);
    if (!spec) throw new Error(`replicas: the stack does not run "${service}" (it runs ${specs.map((s) => s.name).join(', ')})`);
    if (spec.perInstanceOf) throw new Error(`replicas: ${service} runs one instance per ${spec.perInstanceOf} instance; set the replicas of ${spec.perInstanceOf} instead`);
    const scale = spec.scale ?? { min: spec.replicas, max: spec.replicas };
    if (!Number.isInteger(count) || count < scale.min || count > scale.max) {
      throw new Error(`replicas: ${service} runs ${scale.min === scale.max ? `exactly ${scale.min}` : `${scale.min} to ${scale.max}`} instance(s), not ${count}`);
    }
  }
  const known = new Map(specs.flatMap((s) => Object.entries(s.options ?? {})));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new Error(`unknown stack option "${key}"; options of this stack: ${[...known.keys()].join(', ') || 'none'}`);
  }
  const count = (s: ServiceSpec): number => {
    if (!s.perInstanceOf) return replicas[s.name] ?? s.replicas;
    const followed = specs.find((f) => f.name === s.perInstanceOf);
    if (!followed) throw new Error(`${s.name} runs one instance per ${s.perInstanceOf} instance, but this stack does not run ${s.perInstanceOf} (add it to dependsOn)`);
    return count(followed);
  };
  const names = new Map(specs.map((s) => [s.name, instanceNames(s, count(s))]));
  const instancesOf = (service: string) => names.get(service) ?? [];
  const addressesOf = (service: string, portName: string) => {
    const spec = specs.find((s) => s.name === service);
    if (!spec) throw new Error(`a spec asked for ${service}.${portName}, but this stack does not run ${service}`);
    return instancesOf(service).map((i) => `${i}:${port(spec, portName).container}`);
  };
  const view = specs.map((spec) => ({ spec, instances: instancesOf(spec.name) }));
  const contextFor = (instance: string, index: number): SpecContext => ({
    instance,
    index,
    profile,
    secrets,
    address: (service, portName) => addressesOf(service, portName)[0]!,
    addresses: addressesOf,
    instances: instancesOf,
    has: (service) => names.has(service),
    services: () => view,
    option: (key) => options[key],
  });
  const instances = specs.flatMap((spec) => instancesOf(spec.name).map((name, index) => ({ spec, name, index, ctx: contextFor(name, index) })));
  return {
    request: { profile: request.profile, services: specs.map((s) => s.name), replicas, options },
    profile,
    specs,
    instances,
    instancesOf: (service) => instances.filter((i) => i.spec.name === service),
    secrets,
  };
}
