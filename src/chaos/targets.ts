import { postgresCluster } from '../../services/postgres/cluster.ts';
import { redisTier } from '../../services/redis/handle.ts';
import type { StackInstance } from '../stack/docker/instance.ts';
import type { RunningStack } from '../stack/docker/stack.ts';
import type { TargetSelector } from './experiment.ts';

/** Roles a selector may ask for, per service: resolved from Patroni's and Sentinel's own view when the fault is injected. */
export const ROLES: Readonly<Record<string, readonly string[]>> = {
  postgres: ['primary', 'sync-standby', 'replica'],
  redis: ['master', 'replica'],
};

/** The instances a selector names in this stack, now. */
export async function resolveTargets(stack: RunningStack, selector: TargetSelector): Promise<StackInstance[]> {
  let candidates = stack.instances(selector.service);
  if (selector.instance) candidates = candidates.filter((i) => i.name === selector.instance);
  if (selector.role) candidates = await byRole(stack, selector.service, selector.role, candidates);
  if (!candidates.length) throw new Error(`no instance of ${selector.service}${selector.role ? ` with role ${selector.role}` : ''}${selector.instance ? ` named ${selector.instance}` : ''} in stack ${stack.project}`);
  const count = selector.count === 'all' ? candidates.length : (selector.count ?? 1);
  if (count > candidates.length) throw new Error(`${count} instances of ${selector.service} asked for, ${candidates.length} match`);
  return candidates.slice(0, count);
}

async function byRole(stack: RunningStack, service: string, role: string, candidates: StackInstance[]): Promise<StackInstance[]> {
  if (service === 'postgres') {
    const roles = await (await postgresCluster(stack)).roles();
    const wanted = role === 'primary' ? 'primary' : role === 'sync-standby' ? 'sync_standby' : 'replica';
    return candidates.filter((c) => roles[c.name] === wanted);
  }
  if (service === 'redis') {
    const master = await redisTier(stack).master();
    return candidates.filter((c) => (role === 'master') === (c.name === master.name));
  }
  throw new Error(`${service} has no roles to select by`);
}

export const describeSelector = (s: TargetSelector) => `${s.count === 'all' ? 'every' : s.count && s.count > 1 ? `${s.count} of` : ''} ${s.service}${s.role ? ` ${s.role}` : ''}${s.instance ? ` ${s.instance}` : ''}`.trim();
