import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningStack } from './stack.ts';

/**
 * What a failed test leaves behind (CloudNativePG dumps its namespace the same way): each instance's
 * state and the tail of its log, in one folder per failure. Returns the folder.
 */
export async function collectEvidence(stack: RunningStack, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const rows = await Promise.all(
    stack.all().map(async (i) => {
      const state = await i.state();
      const log = await i.logs({ tail: 400 }).catch((e: Error) => `(no log: ${e.message})`);
      writeFileSync(join(dir, `${i.name}.log`), log);
      return `${i.name.padEnd(16)} ${state.status.padEnd(9)} health=${state.health} restarts=${state.restarts} attached=${state.attached} exit=${state.exitCode}`;
    }),
  );
  writeFileSync(join(dir, 'instances.txt'), `stack ${stack.project} (${stack.profile.name} profile)\n${rows.join('\n')}\n`);
  return dir;
}
