// ensureTool's cache paths without building anything: a warm hit, and waiting on another builder's lock.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectGo, ensureTool, toolDir, toolsCacheRoot } from '../../build.ts';
import type { ToolSpec } from '../../catalog.ts';

let hasGo = true;
try {
  execFileSync('go', ['version'], { stdio: 'ignore' });
} catch {
  hasGo = false;
}

const fake: ToolSpec = {
  name: 'fake',
  description: 'not a real tool',
  module: 'example.com/fake',
  version: 'v1.0.0',
  kind: 'go-install',
  binaries: [{ name: 'fake', pkg: 'example.com/fake/cmd/fake' }],
};
const catalog = [fake];

function materialise(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'fake'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'tool.json'), JSON.stringify({ name: 'fake', version: 'v1.0.0', binaries: ['fake'], hash: 'x', inputs: {} }));
}

describe.skipIf(!hasGo)('ensureTool cache paths (needs go on PATH for its version)', () => {
  let cache: string;
  const saved = process.env.REFSTACK_TOOLS_CACHE;
  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), 'refstack-tools-test-'));
    process.env.REFSTACK_TOOLS_CACHE = cache;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.REFSTACK_TOOLS_CACHE;
    else process.env.REFSTACK_TOOLS_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  it('reads the Go version without running go', () => {
    expect(detectGo().goVersion).toMatch(/^go\d+\.\d+/);
    expect(toolsCacheRoot()).toBe(cache);
  });

  it('returns a cached tool at no cost, and its binaries by name only', async () => {
    const dir = toolDir('fake', catalog);
    expect(dir.startsWith(join(cache, 'fake-v1.0.0-'))).toBe(true);
    materialise(dir);
    const t0 = performance.now();
    const h = await ensureTool('fake', { catalog, log: () => undefined });
    expect(performance.now() - t0).toBeLessThan(50);
    expect(h.dir).toBe(dir);
    expect(h.bin('fake')).toBe(join(dir, 'bin', 'fake'));
    expect(() => h.bin('other')).toThrow(/fake has no binary "other"; it yields fake/);
    rmSync(dir, { recursive: true });
  });

  it('waits for another live process that holds the build lock instead of building twice', async () => {
    const dir = toolDir('fake', catalog);
    const lock = join(cache, '.locks', `${dir.slice(cache.length + 1)}.lock`);
    mkdirSync(join(cache, '.locks'), { recursive: true });
    // The "other builder" is this very process (alive); it finishes 1 s later.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), started: new Date().toISOString() }));
    const lines: string[] = [];
    const pending = ensureTool('fake', { catalog, log: (l) => lines.push(l), heartbeatSeconds: 0.2 });
    await new Promise((r) => setTimeout(r, 1000));
    materialise(dir);
    rmSync(lock);
    const h = await pending;
    expect(h.dir).toBe(dir);
    expect(lines.some((l) => l.includes(`waiting for pid ${process.pid}`))).toBe(true);
  });
});
