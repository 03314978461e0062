import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_PORTS } from '../../../src/env/ports.ts';
import { ROOT } from '../../../src/core/paths.ts';

describe("README's environment section", () => {
  it('documents every port `refstack up` publishes', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## The environment\n');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    expect(start, 'README.md has a "## The environment" section').toBeGreaterThanOrEqual(0);
    const missing = Object.values(ENV_PORTS).flat().filter((port) => !section.includes(String(port)));
    expect(missing, 'ports in src/env/ports.ts missing from the README endpoint table').toEqual([]);
  });
});
