import { removeByLabels, type Removed } from '../../core/docker/cleanup.ts';
import type { Profile } from '../../core/profiles.ts';
import type { Secrets, StackHandle } from '../../core/spec.ts';
import { forgetEnvironmentSecrets } from '../secrets.ts';
import type { StackPlan } from '../plan.ts';
import { StackInstance } from './instance.ts';
import { projectFilter, type Placement } from './placement.ts';

/** A stack running on the engine: started by this process, or attached to by project name. */
export class RunningStack implements StackHandle {
  private readonly byName: Map<string, StackInstance>;

  constructor(
    readonly plan: StackPlan,
    readonly placement: Placement,
  ) {
    this.byName = new Map(plan.instances.map((i) => [i.name, new StackInstance(i, placement)]));
  }

  get project(): string {
    return this.placement.project;
  }

  get profile(): Profile {
    return this.plan.profile;
  }

  get secrets(): Secrets {
    return this.plan.secrets;
  }

  /** Service names in start order. */
  services(): string[] {
    return this.plan.specs.map((s) => s.name);
  }

  has(service: string): boolean {
    return this.plan.specs.some((s) => s.name === service);
  }

  instances(service: string): StackInstance[] {
    if (!this.has(service)) throw new Error(`stack ${this.project} does not run ${service} (it runs ${this.services().join(', ')})`);
    return this.plan.instancesOf(service).map((i) => this.byName.get(i.name)!);
  }

  /** The first instance of a service: the one to talk to where there is only one. */
  first(service: string): StackInstance {
    return this.instances(service)[0]!;
  }

  instance(name: string): StackInstance {
    const found = this.byName.get(name);
    if (!found) throw new Error(`stack ${this.project} has no instance "${name}" (instances: ${[...this.byName.keys()].join(', ')})`);
    return found;
  }

  all(): StackInstance[] {
    return [...this.byName.values()];
  }

  option(key: string): string | undefined {
    return this.plan.request.options[key];
  }

  /** The X-API-Key of a client of the sample API (the first one by default). */
  apiKey(client?: string): string {
    const found = client ? this.secrets.apiKeys.find((c) => c.name === client) : this.secrets.apiKeys[0];
    if (!found) throw new Error(`no API client "${client}" in stack ${this.project} (clients: ${this.secrets.apiKeys.map((c) => c.name).join(', ')})`);
    return found.key;
  }

  /** Removes every container, network (and, unless keepData, volume) of the project, and nothing else. */
  async remove(options: { keepData?: boolean } = {}): Promise<Removed> {
    const removed = await removeByLabels(projectFilter(this.project), { volumes: options.keepData ?? false });
    if (!options.keepData && this.placement.environment) forgetEnvironmentSecrets(this.project);
    return removed;
  }
}
