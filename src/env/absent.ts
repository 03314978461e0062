import { docker } from '../core/docker/engine.ts';
import { STACK } from '../stack/definition.ts';
import { imageOf } from '../stack/docker/container.ts';
import type { RunningStack } from '../stack/docker/stack.ts';

/** A service of the one stack that this environment does not run, and why. */
export interface AbsentService {
  service: string;
  /** `laptop-only`: its upstream image must be pulled from a registry; `not started`: runs here, not asked for. */
  where: 'laptop-only' | 'not started';
  reason: string;
}

/**
 * The services of the one stack this environment does not run. A laptop-only service is named with the
 * image it needs and whether this engine has it (a registry-less machine cannot pull it); any other one
 * runs here and was only not asked for.
 */
export async function absentServices(stack: RunningStack): Promise<AbsentService[]> {
  const running = new Set(stack.services());
  const project = stack.project === 'refstack' ? '' : ` --project ${stack.project}`;
  return Promise.all(
    STACK.filter((s) => !running.has(s.name)).map(async (spec): Promise<AbsentService> => {
      if (!('pull' in spec.image)) return { service: spec.name, where: 'not started', reason: `runs here; start it with \`refstack up${project} ${spec.name}\`` };
      const ref = imageOf(spec);
      const present = await docker().getImage(ref).inspect().then(() => true, () => false);
      return {
        service: spec.name,
        where: 'laptop-only',
        reason: present ? `upstream image ${ref} is on this engine: \`refstack up${project} ${spec.name}\`` : `upstream image ${ref} is not on this engine and needs a container registry to pull`,
      };
    }),
  );
}

export function absentTable(absent: AbsentService[]): string {
  if (!absent.length) return '';
  const width = Math.max(...absent.map((a) => a.service.length));
  return `\nnot running in this environment:\n${absent.map((a) => `  ${a.service.padEnd(width)}  ${a.where.padEnd(11)}  ${a.reason}`).join('\n')}`;
}
