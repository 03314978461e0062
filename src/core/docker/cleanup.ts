import { hostname } from 'node:os';
import { sleep } from '../poll.ts';
import { docker } from './engine.ts';
import { LABEL } from './labels.ts';

export interface Removed {
  containers: number;
  networks: number;
  volumes: number;
}

type Filter = Record<string, string[]>;

/** Removes containers, then networks and volumes, that match a docker label filter. */
export async function removeByLabels(labelFilters: string[], keep?: { volumes?: boolean }): Promise<Removed> {
  const filters: Filter = { label: labelFilters };
  const d = docker();
  const containers = await d.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) => d.getContainer(c.Id).remove({ force: true, v: !keep?.volumes }).catch(ignoreGone)),
  );
  const networks = await d.listNetworks({ filters });
  // A network the engine will not let go must not keep the volumes: remove those too, then say what is left.
  const refused: string[] = [];
  for (const n of networks) await removeNetwork(n.Id, n.Name).catch((error: Error) => refused.push(error.message));
  let volumes = 0;
  if (!keep?.volumes) {
    const found = (await d.listVolumes({ filters })).Volumes ?? [];
    for (const v of found) await d.getVolume(v.Name).remove({ force: true }).catch(ignoreGone);
    volumes = found.length;
  }
  if (refused.length) throw new Error(refused.join('; '));
  return { containers: containers.length, networks: networks.length, volumes };
}

export function removeRun(runId: string): Promise<Removed> {
  return removeByLabels([`${LABEL.run}=${runId}`]);
}

/** Everything refstack ever labelled, test runs and `refstack up` alike, crashed leftovers included. */
export function removeEverything(): Promise<Removed> {
  return removeByLabels([`${LABEL.managed}=true`]);
}

/**
 * Test resources of runs whose owning process is gone (a crash, a kill -9, a closed terminal).
 * Live runs on this host and runs of other hosts sharing the engine are left alone.
 */
export async function removeStaleTestRuns(): Promise<Removed> {
  const d = docker();
  const filters: Filter = { label: [`${LABEL.managed}=true`, `${LABEL.owner}=test`] };
  const staleRuns = new Set<string>();
  const consider = (labels: Record<string, string> | undefined) => {
    if (!labels) return;
    const run = labels[LABEL.run];
    if (run && labels[LABEL.host] === hostname() && !processAlive(Number(labels[LABEL.pid]))) staleRuns.add(run);
  };
  for (const c of await d.listContainers({ all: true, filters })) consider(c.Labels);
  for (const n of await d.listNetworks({ filters })) consider(n.Labels);
  for (const v of (await d.listVolumes({ filters })).Volumes ?? []) consider(v.Labels);
  const total: Removed = { containers: 0, networks: 0, volumes: 0 };
  for (const run of staleRuns) {
    // A leftover the engine refuses to remove (a network with a stale endpoint after an interrupted run) must not stop this run.
    const r = await removeRun(run).catch((error: Error) => {
      process.stderr.write(`could not remove every leftover of run ${run}: ${error.message} (they carry the label ${LABEL.run}=${run}; restarting the Docker engine clears a stale endpoint)\n`);
      return { containers: 0, networks: 0, volumes: 0 };
    });
    total.containers += r.containers;
    total.networks += r.networks;
    total.volumes += r.volumes;
  }
  return total;
}

export async function countByLabels(labelFilters: string[]): Promise<Removed> {
  const filters: Filter = { label: labelFilters };
  const d = docker();
  const [containers, networks, volumes] = await Promise.all([
    d.listContainers({ all: true, filters }),
    d.listNetworks({ filters }),
    d.listVolumes({ filters }),
  ]);
  return { containers: containers.length, networks: networks.length, volumes: (volumes.Volumes ?? []).length };
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a network. The engine may refuse with "has active endpoints" just after the last container left
 * it (its endpoint is released asynchronously) or for an endpoint a removed container never released
 * (moby#17217); what the network still lists is force-disconnected and the removal retried for up to
 * `withinMs`. Throws with the way out when the engine still refuses.
 */
export async function removeNetwork(id: string, name = id, withinMs = 30_000): Promise<void> {
  const network = docker().getNetwork(id);
  const deadline = Date.now() + withinMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await network.remove();
      return;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      if (!/active endpoint/i.test(String((error as Error).message)) || Date.now() > deadline) {
        throw new Error(`could not remove network ${name} after ${attempt} attempts: ${(error as Error).message} (a stale endpoint the engine keeps is cleared by "docker network disconnect -f ${name} <endpoint>" or by restarting the Docker engine)`);
      }
    }
    const info = (await network.inspect().catch(() => undefined)) as { Containers?: Record<string, { Name?: string }> } | undefined;
    for (const [key, endpoint] of Object.entries(info?.Containers ?? {})) {
      await network.disconnect({ Container: endpoint.Name || key, Force: true }).catch(() => undefined);
    }
    await sleep(Math.min(1_000 * attempt, 5_000));
  }
}

function ignoreGone(error: unknown): void {
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 404 || status === 409) return;
  throw error;
}
