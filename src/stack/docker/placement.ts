import { randomBytes } from 'node:crypto';
import { LABEL, currentRunId, runLabels, type Owner } from '../../core/docker/labels.ts';

/** The default environment's project: fixed container names (refstack-pg1) and the fixed ports of the README. */
export const DEFAULT_PROJECT = 'refstack';
const PROJECT_NAME = /^[a-z][a-z0-9-]{1,30}$/;

/**
 * Where a stack runs on the engine: its project name (prefix of every container, network and volume),
 * who owns it (a test run, swept by run id, or `refstack up`), and whether its ports are the README's
 * fixed ones (the default environment only) or picked by the engine.
 */
export interface Placement {
  project: string;
  owner: Owner;
  runId: string;
  fixedPorts: boolean;
  /**
   * An environment (`refstack up`): a second start keeps instances whose configuration did not change,
   * and its credentials are kept in .refstack/<project>/ for later commands. Else an ephemeral suite stack.
   */
  environment: boolean;
  /** The engine's data root (`docker info` DockerRootDir), where container logs live; set when the stack starts. */
  engineRoot?: string;
}

/**
 * An environment started by `refstack up`. Inside a test run (REFSTACK_RUN_ID set by `npm test`) it
 * belongs to that run, so a crashed run's environment is swept like any other test resource.
 */
export function environmentPlacement(project = DEFAULT_PROJECT): Placement {
  assertProjectName(project);
  const testRun = process.env.REFSTACK_RUN_ID;
  return { project, owner: testRun ? 'test' : 'env', runId: testRun ?? `env-${project}`, fixedPorts: project === DEFAULT_PROJECT, environment: true };
}

/** A suite's ephemeral stack: a fresh project name, engine-picked ports, removed with the test run. */
export function ephemeralPlacement(): Placement {
  return { project: `rt-${randomBytes(3).toString('hex')}`, owner: 'test', runId: currentRunId(), fixedPorts: false, environment: false };
}

export function assertProjectName(project: string): void {
  if (!PROJECT_NAME.test(project)) throw new Error(`project name "${project}" must be 2–31 characters of a-z, 0-9 and -, starting with a letter`);
}

export const containerName = (p: Placement, instance: string) => `${p.project}-${instance}`;
export const volumeName = (p: Placement, instance: string, volume: string) => `${p.project}-${instance}-${volume}`;
/** The stack's service network: every instance, addressed by its instance name. */
export const serviceNetwork = (p: Placement) => p.project;
/**
 * A second network that carries only the published ports (containers cannot talk over it: ICC off),
 * so an instance cut off from the service network stays reachable from the host for measurements.
 */
export const ingressNetwork = (p: Placement) => `${p.project}-ingress`;

export function placementLabels(p: Placement): Record<string, string> {
  return { ...runLabels(p.owner, p.runId), [LABEL.project]: p.project };
}

/** Label filter selecting every resource of a project. */
export const projectFilter = (project: string) => [`${LABEL.managed}=true`, `${LABEL.project}=${project}`];
