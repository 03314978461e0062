import { runLabels } from '../../core/docker/labels.ts';
import { docker } from '../../core/docker/engine.ts';
import { execIn } from '../../core/docker/exec.ts';
import type { ExecResult, FileSpec } from '../../core/spec.ts';
import { putFiles } from './container.ts';

/** A one-off container of an image with its tools idle (`sleep`): files copied in, commands run with exec. */
export interface Toolbox {
  /** A shell command; resolves with its exit code and output whatever the code. */
  sh(script: string, timeoutMs?: number): Promise<ExecResult>;
  remove(): Promise<void>;
}

/**
 * Creates the toolbox from `image` (labelled as the current test run's, so a crashed run's is swept),
 * writes `files` into it and starts it; it stops by itself after `maxSeconds`.
 */
export async function startToolbox(image: string, files: FileSpec[], maxSeconds = 600): Promise<Toolbox> {
  const container = await docker().createContainer({ Image: image, Entrypoint: ['sleep'], Cmd: [String(maxSeconds)], Labels: runLabels(), User: 'root' });
  try {
    await putFiles(container, files);
    await container.start();
  } catch (error) {
    await container.remove({ force: true }).catch(() => undefined);
    throw error;
  }
  return {
    sh: (script, timeoutMs = 120_000) => execIn(container.id, ['sh', '-c', script], { timeoutMs }),
    remove: () => container.remove({ force: true }).catch(() => undefined),
  };
}
