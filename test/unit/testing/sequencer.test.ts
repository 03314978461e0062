import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../src/core/paths.ts';
import { asksForFreshStack } from '../../../src/testing/sequencer.ts';

describe('the shared stack sequencer', () => {
  it('runs the quiet-window file first: only `useSharedStack({ first: true })` asks for a fresh stack', () => {
    expect(asksForFreshStack("const stack = useSharedStack({ first: true });")).toBe(true);
    expect(asksForFreshStack('const stack = useSharedStack();')).toBe(false);
    expect(asksForFreshStack(readFileSync(join(ROOT, 'test/integration/monitoring/environment.test.ts'), 'utf8'))).toBe(true);
    expect(asksForFreshStack(readFileSync(join(ROOT, 'test/integration/latency/latency.test.ts'), 'utf8'))).toBe(false);
  });
});
