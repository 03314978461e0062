import { describe, expect, it } from 'vitest';
import { bundleModules, type CpuProfile, categoryOf, summarizeProfile } from '../../../src/bench/cpu-profile.ts';

// An esbuild-shaped bundle: each inlined module opens with a `// <path>` line.
const BUNDLE = [
  '"use strict";', // 1
  '// node_modules/ioredis/built/Redis.js', // 2
  'function sendCommand() {}', // 3
  '// sample-app/src/api/rate-limit.ts', // 4
  'function allow() {}', // 5
  '// node_modules/@opentelemetry/api/build/src/index.js', // 6
  'function active() {}', // 7
].join('\n');

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

/** root → idle | program | gc | allow (rate limit) | sendCommand → writev (native) | writeHead (node core) */
const PROFILE: CpuProfile = {
  startTime: 0,
  endTime: 70_000,
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4, 5, 6, 8] },
    { id: 2, callFrame: frame('(idle)', '') },
    { id: 3, callFrame: frame('(program)', '') },
    { id: 4, callFrame: frame('(garbage collector)', '') },
    { id: 5, callFrame: frame('allow', 'file:///app/sample-app.cjs', 4) },
    { id: 6, callFrame: frame('sendCommand', '/app/sample-app.cjs', 2), children: [7] },
    { id: 7, callFrame: frame('writev', '') },
    { id: 8, callFrame: frame('writeHead', 'node:_http_server', 340) },
  ],
  // One sample every 10 ms; a sample's time is the delta that follows it.
  samples: [2, 2, 3, 4, 5, 7, 8],
  timeDeltas: [0, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000],
};

describe('CPU profile summary', () => {
  it('maps bundle lines to the module esbuild inlined there', () => {
    expect(bundleModules(BUNDLE)).toEqual([
      { line: 2, module: 'ioredis' },
      { line: 4, module: 'sample-app/src/api/rate-limit.ts' },
      { line: 6, module: '@opentelemetry/api' },
    ]);
  });

  it('puts modules in the read-path categories', () => {
    expect(categoryOf('sample-app/src/api/rate-limit.ts')).toBe('rate limit');
    expect(categoryOf('ioredis')).toBe('cache (Redis client)');
    expect(categoryOf('prom-client')).toBe('metrics (prom-client)');
    expect(categoryOf('node:_http_server')).toMatch(/^Node core/);
    expect(categoryOf('some-unknown-lib')).toBe('other');
  });

  it('sums self time per category, leaves idle out of the busy time, and charges native code to its caller', () => {
    const s = summarizeProfile(PROFILE, '/app/sample-app.cjs', BUNDLE);
    // The last sample has no following delta: 6 samples × 10 ms are counted, 2 of them idle.
    expect(s.totalMs).toBe(60);
    expect(s.busyMs).toBe(40);
    const self = Object.fromEntries(s.categories.map((c) => [c.name, c.selfMs]));
    expect(self).toEqual({ 'V8 and native (program)': 10, 'garbage collection': 10, 'rate limit': 10, 'cache (Redis client)': 10 });
    expect(s.functions.map((f) => f.name)).toContain('writev ← sendCommand ioredis (bundle line 3)');
    expect(s.categories.reduce((sum, c) => sum + c.share, 0)).toBeCloseTo(1, 5);
  });

  it('charges Node core work to the nearest library above it, and keeps it as Node core when nothing is', () => {
    const withLast = { ...PROFILE, samples: [...PROFILE.samples, 2], timeDeltas: [...PROFILE.timeDeltas, 10_000] };
    const s = summarizeProfile(withLast, '/app/sample-app.cjs', BUNDLE);
    const byCaller = Object.fromEntries(s.byCaller.map((c) => [c.name, c.selfMs]));
    expect(byCaller['Node core (http, net, streams, timers…)']).toBe(10);
    expect(byCaller['cache (Redis client)']).toBe(10);
  });

  it('counts only the window asked for', () => {
    // Samples at 10…60 ms; the window 35–15 ms before the end (70 ms) holds the samples at 40 and 50 ms.
    const s = summarizeProfile(PROFILE, '/app/sample-app.cjs', BUNDLE, { fromSecondsBeforeEnd: 0.035, toSecondsBeforeEnd: 0.015 });
    expect(s.categories.map((c) => c.name).sort()).toEqual(['cache (Redis client)', 'rate limit']);
  });

  it('refuses a profile without samples', () => {
    expect(() => summarizeProfile({ ...PROFILE, samples: [], timeDeltas: [] }, '/app/sample-app.cjs', BUNDLE)).toThrow(/no samples/);
  });
});
