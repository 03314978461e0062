import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../src/core/paths.ts';
import { STACK } from '../../../src/stack/definition.ts';

describe("README's environment section", () => {
  it('documents every fixed port `refstack up` publishes (from the service specs)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## The environment\n');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    expect(start, 'README.md has a "## The environment" section').toBeGreaterThanOrEqual(0);
    const ports = STACK.flatMap((s) => s.ports.flatMap((p) => p.publish?.env ?? []));
    expect(ports.length).toBeGreaterThan(10);
    const missing = ports.filter((port) => !section.includes(String(port)));
    expect(missing, 'fixed ports of the service specs missing from the README endpoint table').toEqual([]);
  });
});
