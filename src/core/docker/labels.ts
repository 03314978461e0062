import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** Every container, network and volume refstack creates carries these labels. */
export const LABEL = {
  managed: 'org.refstack.managed',
  run: 'org.refstack.run',
  owner: 'org.refstack.owner',
  pid: 'org.refstack.pid',
  host: 'org.refstack.host',
  contentHash: 'org.refstack.content-hash',
  /** The stack a resource belongs to: `refstack` for the default environment, a generated name for a suite's stack. */
  project: 'org.refstack.project',
  service: 'org.refstack.service',
  instance: 'org.refstack.instance',
  profile: 'org.refstack.profile',
  /** Hash of a container's options, image and files: `refstack up` recreates an instance whose hash changed. */
  configHash: 'org.refstack.config-hash',
  /** The stack request (profile, services, replicas, options) as JSON, so another process can attach to the stack. */
  stack: 'org.refstack.stack',
} as const;

/** `test` resources belong to one test run; `env` resources belong to `refstack up`. */
export type Owner = 'test' | 'env';

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

let processRunId: string | undefined;

/** The run id of this process: REFSTACK_RUN_ID when a runner set it, else one made for this process. */
export function currentRunId(): string {
  processRunId ??= process.env.REFSTACK_RUN_ID ?? newRunId();
  process.env.REFSTACK_RUN_ID = processRunId;
  return processRunId;
}

/** The pid that owns the run: the test runner when there is one, so that stale-detection sees the whole run. */
export function runOwnerPid(): number {
  const fromEnv = Number(process.env.REFSTACK_RUN_PID);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : process.pid;
}

export function runLabels(owner: Owner = 'test', runId = currentRunId()): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.run]: runId,
    [LABEL.owner]: owner,
    [LABEL.pid]: String(runOwnerPid()),
    [LABEL.host]: hostname(),
  };
}
