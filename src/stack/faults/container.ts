import { docker } from '../../core/docker/engine.ts';
import { removeNetwork } from '../../core/docker/cleanup.ts';
import { LABEL } from '../../core/docker/labels.ts';
import type { StackInstance } from '../docker/instance.ts';
import { containerName, placementLabels, serviceNetwork } from '../docker/placement.ts';
import type { RunningStack } from '../docker/stack.ts';
import { onEach, str, type FaultVerb } from './verb.ts';

const BOUND = 600;

/** The container verbs every instance supports (CONTAINER_FAULTS): each undone by `recover` (start, unpause, reattach). */
export const kill: FaultVerb = {
  verb: 'kill',
  undo: 'start the container again',
  maxSeconds: BOUND,
  params: { signal: { kind: 'string', summary: 'the signal sent to the main process', default: 'SIGKILL', choices: ['SIGKILL', 'SIGTERM', 'SIGINT'] } },
  inject: (_stack, targets, params) =>
    onEach(targets, async (t) => {
      await t.kill(str(params, 'signal'));
      return { detail: `${str(params, 'signal')} ${t.name}`, undo: () => restartIfDown(t) };
    }),
};

export const stop: FaultVerb = {
  verb: 'stop',
  undo: 'start the container again',
  maxSeconds: BOUND,
  params: { grace: { kind: 'number', unit: 's', summary: 'seconds the stop signal has before SIGKILL', default: 10, min: 0, max: 60 } },
  inject: (_stack, targets, params) =>
    onEach(targets, async (t) => {
      await t.stop(Number(params.grace));
      return { detail: `stopped ${t.name}`, undo: () => restartIfDown(t) };
    }),
};

/** A container verb with no parameters: one action on each target, undone by `undo`. */
function simpleVerb(verb: string, undo: string, done: string, act: (t: StackInstance) => Promise<unknown>, undoing: (t: StackInstance) => Promise<void>): FaultVerb {
  return {
    verb,
    undo,
    maxSeconds: BOUND,
    params: {},
    inject: (_stack, targets) =>
      onEach(targets, async (t) => {
        await act(t);
        return { detail: `${done} ${t.name}`, undo: () => undoing(t) };
      }),
  };
}

export const restart = simpleVerb('restart', 'nothing to undo: the container is running again (its health is waited on)', 'restarted', (t) => t.restart(), (t) => restartIfDown(t));
export const pause = simpleVerb('pause', 'unpause (cgroup freezer thawed)', 'froze', (t) => t.pause(), (t) => t.recover());
export const isolate = simpleVerb('isolate', "reconnect to the stack's network with its aliases", 'isolated', (t) => t.isolate(), (t) => t.recover());

/**
 * A zone outage: the targets leave the stack's network together and join a zone network of their own
 * (labelled like every resource of the project), so they still reach each other by name but nothing else
 * reaches them, nor they anything outside the zone. Undone by moving them back and removing the zone network.
 */
export const partition: FaultVerb = {
  verb: 'partition',
  undo: "reconnect every member to the stack's network, remove the zone network",
  maxSeconds: BOUND,
  group: true,
  params: { zone: { kind: 'string', summary: 'a name for the zone (its network is <project>-zone-<name>)', default: 'a' } },
  async inject(stack, targets, params) {
    const name = `${serviceNetwork(stack.placement)}-zone-${str(params, 'zone')}`;
    const zone = await docker().createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Internal: true, Labels: { ...placementLabels(stack.placement), [LABEL.service]: 'chaos-zone' } });
    const moved: StackInstance[] = [];
    const undo = async () => {
      for (const t of moved) await t.recover();
      for (const t of moved) {
        await zone.disconnect({ Container: containerName(stack.placement, t.name), Force: true }).catch(() => undefined);
      }
      await removeNetwork(zone.id, name);
    };
    try {
      for (const t of targets) {
        await zone.connect({ Container: t.container, EndpointConfig: { Aliases: aliasesOf(stack, t) } });
        await t.isolate();
        moved.push(t);
      }
    } catch (error) {
      await undo().catch((undoError: Error) => {
        throw new Error(`${(error as Error).message} (and undoing the partition failed: ${undoError.message})`);
      });
      throw error;
    }
    return { detail: `zone ${name}: ${targets.map((t) => t.name).join(', ')} cut off from the rest of the stack`, undo };
  },
};

function aliasesOf(stack: RunningStack, t: StackInstance): string[] {
  return [t.name, ...(t.spec.aliases?.(t.planned.ctx) ?? [])].filter((a, i, all) => all.indexOf(a) === i && stack.has(t.service));
}

/** A killed or stopped container is started again; one running (restarted by its policy, or never down) is left as it is. */
async function restartIfDown(t: StackInstance): Promise<void> {
  await t.recover();
}
