import { describe, expect, it } from 'vitest';
import { CATALOG, getTool, KUBERNETES_BINARIES, kubernetesVersionLdflags, validateCatalog, type ToolSpec } from '../../catalog.ts';

const base: ToolSpec = {
  name: 'demo',
  description: 'a demo tool',
  module: 'example.com/demo/v2',
  version: 'v2.1.0',
  kind: 'go-install',
  binaries: [{ name: 'demo', pkg: 'example.com/demo/v2/cmd/demo' }],
};

describe('the tool catalog', () => {
  it('is valid', () => {
    expect(validateCatalog(CATALOG)).toEqual([]);
  });

  it('holds every tool the project builds, each recipe kind used', () => {
    const names = CATALOG.map((t) => t.name);
    for (const n of ['toxiproxy', 'actionlint', 'helm', 'kubeconform', 'kwok', 'kind', 'vegeta', 'promtool', 'syft', 'metrics-server', 'jaeger', 'etcd', 'kubernetes', 'docker-compose']) {
      expect(names).toContain(n);
    }
    expect(new Set(CATALOG.map((t) => t.kind))).toEqual(new Set(['go-install', 'scratch-module', 'module-copy']));
  });

  it('builds the seven Kubernetes binaries from one scratch module with staging replaces and version ldflags', () => {
    const k = getTool('kubernetes');
    expect(k.kind).toBe('scratch-module');
    expect(k.inheritReplaces).toBe('kubernetes-staging');
    expect(k.binaries.map((b) => b.name)).toEqual([...KUBERNETES_BINARIES]);
    expect(k.binaries.every((b) => b.pkg === `k8s.io/kubernetes/cmd/${b.name}`)).toBe(true);
    expect(k.ldflags).toContain(`-X k8s.io/component-base/version.gitVersion=${k.version}`);
    expect(k.ldflags).toContain(`-X k8s.io/client-go/pkg/version.gitVersion=${k.version}`);
  });

  it('derives the Kubernetes version variables from the release', () => {
    const flags = kubernetesVersionLdflags('v1.37.2');
    expect(flags).toContain('-X k8s.io/component-base/version.gitMajor=1');
    expect(flags).toContain('-X k8s.io/component-base/version.gitMinor=37');
    expect(flags).toContain('-X k8s.io/component-base/version.buildDate={buildDate}');
    expect(() => kubernetesVersionLdflags('1.37')).toThrow(/not a Kubernetes release/);
  });

  it('installs Docker Compose as a CLI plugin built inside a copy of its module', () => {
    const c = getTool('docker-compose');
    expect(c.kind).toBe('module-copy');
    expect(c.dockerCliPlugin).toBe('docker-compose');
    expect(c.version).toMatch(/^v2\.40\.\d+$/);
  });

  it('names unknown tools with the known ones', () => {
    expect(() => getTool('nope')).toThrow(/unknown tool "nope"; known: toxiproxy/);
  });

  it('finds the problems of a broken entry', () => {
    const bad: ToolSpec[] = [
      base,
      { ...base }, // duplicate
      { ...base, name: 'Bad Name', version: '2.1', binaries: [] },
      { ...base, name: 'major', version: 'v3.0.0' },
      { ...base, name: 'nomajor', module: 'example.com/flat', version: 'v2.0.0', binaries: [{ name: 'x', pkg: 'example.com/flat/cmd/x' }] },
      { ...base, name: 'outside', binaries: [{ name: 'x', pkg: 'example.com/other/cmd/x' }] },
      { ...base, name: 'twice', binaries: [base.binaries[0]!, base.binaries[0]!] },
      { ...base, name: 'flags', ldflags: ['-X main.version v1', '-linkmode external'] },
      { ...base, name: 'files', files: [{ from: '../etc', to: 'bin/x' }] },
      { ...base, name: 'plugin', dockerCliPlugin: 'compose' },
      { ...base, name: 'smoke', smoke: { bin: 'other', args: [], expect: 'x' } },
      { ...base, name: 'extras', extraModules: [{ module: 'example.com/x', version: 'v1.0.0' }] },
      { ...base, name: 'copy', kind: 'module-copy' },
    ];
    const problems = validateCatalog(bad);
    const expectProblem = (re: RegExp): void => {
      expect(problems.some((p) => re.test(p)), `${re} in\n${problems.join('\n')}`).toBe(true);
    };
    expectProblem(/tool "demo": duplicate name/);
    expectProblem(/tool "Bad Name": name must match/);
    expectProblem(/tool "Bad Name": version 2.1 is not a semver tag/);
    expectProblem(/tool "Bad Name": yields no binary/);
    expectProblem(/tool "major": version v3.0.0 does not match the module's \/v2/);
    expectProblem(/tool "nomajor": version v2.0.0 needs a \/v2 module path/);
    expectProblem(/tool "outside": package example.com\/other\/cmd\/x is in none of its modules/);
    expectProblem(/tool "twice": binary demo listed twice/);
    expectProblem(/tool "flags": ldflag "-X main.version v1"/);
    expectProblem(/tool "flags": ldflag "-linkmode external"/);
    expectProblem(/tool "files": file path "..\/etc" must be relative and inside/);
    expectProblem(/tool "files": files must not land in bin\//);
    expectProblem(/tool "plugin": dockerCliPlugin compose is not one of its binaries/);
    expectProblem(/tool "smoke": smoke check runs other/);
    expectProblem(/tool "extras": extraModules need kind scratch-module/);
    expectProblem(/tool "copy": module-copy binary demo needs a .\/relative package/);
    expect(problems.filter((p) => p.startsWith('tool "demo"'))).toHaveLength(1);
  });
});

describe('stage requests', async () => {
  const { parseStageRequest } = await import('../../stage.ts');
  it('parse tool[:bin,bin]', () => {
    expect(parseStageRequest('kwok')).toEqual({ tool: 'kwok' });
    expect(parseStageRequest('kubernetes:kube-apiserver,kubectl')).toEqual({ tool: 'kubernetes', binaries: ['kube-apiserver', 'kubectl'] });
    expect(() => parseStageRequest(':x')).toThrow(/bad stage request/);
  });
});
