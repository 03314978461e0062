import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { runDir } from '../core/results/results.ts';

const USERS_FILE = 'shared-stack-users.json';

/** How many files of the running group use the shared stack, and how many of them have finished. */
interface SharedStackUsers {
  expected: number;
  done: number;
}

const usesSharedStack = (spec: TestSpecification) => readFileSync(spec.moduleId, 'utf8').includes('useSharedStack(');
/** Whether a test file's source asks for the shared stack before the other users fault and restart its parts: `useSharedStack({ first: true })`. */
export const asksForFreshStack = (source: string) => /useSharedStack\(\{\s*first:\s*true\s*\}\)/.test(source);
const wantsFreshStack = (spec: TestSpecification) => asksForFreshStack(readFileSync(spec.moduleId, 'utf8'));

/**
 * Vitest's order (failed first, then longest first), except that the files sharing the run's stack
 * (src/testing/stack.ts useSharedStack) run first and together, those asking for it fresh
 * (`useSharedStack({ first: true })`) before the others: the last of them removes the stack, so its
 * ~25 idle containers do not load the 2 cores while the suites that start their own environments run.
 */
export class SharedStackFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const users = sorted.filter(usesSharedStack);
    const shared = [...users.filter(wantsFreshStack), ...users.filter((f) => !wantsFreshStack(f))];
    if (shared.length) {
      mkdirSync(runDir(), { recursive: true });
      writeFileSync(join(runDir(), USERS_FILE), JSON.stringify({ expected: shared.length, done: 0 } satisfies SharedStackUsers));
    }
    return [...shared, ...sorted.filter((f) => !shared.includes(f))];
  }
}

/**
 * Counts one more finished user of the shared stack; true when it was the last the sequencer planned. False
 * when no plan exists (vitest run without this sequencer): the run's teardown removes the stack then.
 */
export function lastSharedStackUser(): boolean {
  const file = join(runDir(), USERS_FILE);
  let users: SharedStackUsers;
  try {
    users = JSON.parse(readFileSync(file, 'utf8')) as SharedStackUsers;
  } catch {
    return false;
  }
  users.done += 1;
  writeFileSync(file, JSON.stringify(users));
  return users.done >= users.expected;
}
