import { describe, expect, it } from 'vitest';
import type { ToolSpec } from '../../catalog.ts';
import {
  canonicalJson,
  failureHints,
  fillLdflags,
  goDefaultBinaryName,
  ldflagsFor,
  recipeHash,
  toolDirName,
  type GoEnv,
} from '../../recipe.ts';

const go: GoEnv = { goVersion: 'go1.26.8', goos: 'linux', goarch: 'amd64' };
const tool: ToolSpec = {
  name: 'demo',
  description: 'a demo tool',
  module: 'example.com/demo/v2',
  version: 'v2.1.0',
  kind: 'go-install',
  binaries: [{ name: 'demo', pkg: 'example.com/demo/v2/cmd/demo' }],
  ldflags: ['-X main.version=v2.1.0'],
};

describe('recipe hash', () => {
  it('is stable: the same recipe gives the same 12 hex digits, run after run', () => {
    const h = recipeHash(tool, go);
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    expect(recipeHash(structuredClone(tool), { ...go })).toBe(h);
    // A golden value: changing it means every cached tool is rebuilt. Bump RECIPE_SCHEMA deliberately instead.
    expect(h).toBe('461ebef4a8a5');
  });

  it('does not depend on key order or on descriptive fields', () => {
    const reordered = Object.fromEntries(Object.entries(tool).reverse()) as unknown as ToolSpec;
    expect(recipeHash(reordered, go)).toBe(recipeHash(tool, go));
    expect(recipeHash({ ...tool, description: 'other words', notes: 'a note' }, go)).toBe(recipeHash(tool, go));
  });

  it('changes with everything that changes the build', () => {
    const h = recipeHash(tool, go);
    const variants: ToolSpec[] = [
      { ...tool, version: 'v2.1.1' },
      { ...tool, module: 'example.com/demo2/v2' },
      { ...tool, ldflags: ['-X main.version=v2.1.1'] },
      { ...tool, tags: ['netgo'] },
      { ...tool, cgo: true },
      { ...tool, goExperiment: 'jsonv2' },
      { ...tool, kind: 'scratch-module' },
      { ...tool, binaries: [{ name: 'demo2', pkg: 'example.com/demo/v2/cmd/demo' }] },
      { ...tool, files: [{ from: 'a', to: 'share/a' }] },
    ];
    const hashes = new Set(variants.map((v) => recipeHash(v, go)));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(h)).toBe(false);
    expect(recipeHash(tool, { ...go, goVersion: 'go1.26.9' })).not.toBe(h);
    expect(recipeHash(tool, { ...go, goarch: 'arm64' })).not.toBe(h);
  });

  it('names the cache directory <name>-<version>-<hash>', () => {
    expect(toolDirName(tool, go)).toBe(`demo-v2.1.0-${recipeHash(tool, go)}`);
  });

  it('serialises canonically', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: null }] })).toBe('{"a":[{"d":2,"e":null}],"b":1}');
  });
});

describe('ldflags and binary names', () => {
  it('always strips symbols and fills the build date placeholder', () => {
    expect(ldflagsFor({ ...tool, ldflags: undefined })).toBe('-s -w');
    const k = ldflagsFor({ ...tool, ldflags: ['-X a.b=c', '-X k8s.io/component-base/version.buildDate={buildDate}'] });
    expect(fillLdflags(k, { buildDate: '2026-10-27T12:01:04Z' })).toBe('-s -w -X a.b=c -X k8s.io/component-base/version.buildDate=2026-10-27T12:01:04Z');
  });

  it('names binaries as go install does', () => {
    expect(goDefaultBinaryName('github.com/tsenart/vegeta/v12')).toBe('vegeta');
    expect(goDefaultBinaryName('go.etcd.io/etcd/server/v3')).toBe('server');
    expect(goDefaultBinaryName('github.com/Shopify/toxiproxy/v2/cmd/cli')).toBe('cli');
    expect(goDefaultBinaryName('sigs.k8s.io/kind')).toBe('kind');
    expect(goDefaultBinaryName('example.com/tool/v1')).toBe('v1');
  });
});

describe('failure hints', () => {
  it('recognise common causes and always point at the log and the retry', () => {
    expect(failureHints('go: github.com/x@v1: reading https://proxy.golang.org/...: dial tcp: i/o timeout', '/l').join('\n')).toMatch(/proxy could not be reached/);
    expect(failureHints('The go.mod file for the module providing named packages contains one or\n\tmore exclude directives.', '/l').join('\n')).toMatch(/module-copy/);
    const notServed = failureHints('reading https://proxy.golang.org/github.com/yannh/kubeconform/@v/v0.8.99.info: 404 Not Found', '/l').join('\n');
    expect(notServed).toMatch(/does not serve that module version/);
    expect(notServed).not.toMatch(/could not be reached/);
    expect(failureHints('v0.8.99.info: 403 Forbidden server response: This module version is not available.', '/l').join('\n')).toMatch(/does not serve/);
    expect(failureHints('go: module example.com/x@v1 requires go >= 1.27', '/l').join('\n')).toMatch(/newer Go/);
    expect(failureHints('/usr/local/go/pkg/tool/linux_amd64/link: signal: killed', '/l').join('\n')).toMatch(/memory/);
    const generic = failureHints('something else', '/tmp/x.log');
    expect(generic).toHaveLength(2);
    expect(generic[0]).toBe('Full output: /tmp/x.log');
  });
});
