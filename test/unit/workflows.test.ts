import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/core/paths.ts';
import { ensureTool } from '../../src/core/tools/build.ts';

const WORKFLOWS = join(ROOT, '.github', 'workflows');

describe('GitHub workflows', () => {
  it('pass actionlint (built from the Go module proxy on first use, then cached)', async () => {
    const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f));
    expect(files.map((f) => f.split('/').at(-1))).toContain('nightly-resilience.yml');
    const actionlint = await ensureTool('actionlint');
    const result = await promisify(execFile)(actionlint.bin('actionlint'), ['-no-color', ...files], { cwd: ROOT }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  }, 600_000);
});
