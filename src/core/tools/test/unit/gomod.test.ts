import { describe, expect, it } from 'vitest';
import {
  inheritedReplaceLines,
  kubernetesStagingVersion,
  parseGodebug,
  parseReplaces,
  renderScratchGoMod,
} from '../../recipe.ts';

// Shaped like k8s.io/kubernetes' go.mod (header, godebug, require block, staging replace block).
const KUBERNETES_GO_MOD = `// This is a generated file. Do not edit directly.

module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
	github.com/blang/semver/v4 v4.0.0
	k8s.io/api v0.0.0
	k8s.io/apimachinery v0.0.0
	k8s.io/client-go v0.0.0
)

require (
	k8s.io/kms v0.0.0 // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery // the machinery
	k8s.io/client-go => ./staging/src/k8s.io/client-go

	k8s.io/kms => ./staging/src/k8s.io/kms
)
`;

describe('replace lines generated from an upstream go.mod', () => {
  it('turns every Kubernetes staging replace into the published k8s.io module at v0.M.P', () => {
    expect(inheritedReplaceLines(KUBERNETES_GO_MOD, 'kubernetes-staging', 'v1.37.2')).toEqual([
      'k8s.io/api => k8s.io/api v0.37.2',
      'k8s.io/apimachinery => k8s.io/apimachinery v0.37.2',
      'k8s.io/client-go => k8s.io/client-go v0.37.2',
      'k8s.io/kms => k8s.io/kms v0.37.2',
    ]);
  });

  it('maps release versions to staging versions', () => {
    expect(kubernetesStagingVersion('v1.37.2')).toBe('v0.37.2');
    expect(kubernetesStagingVersion('v1.38.0-beta.0')).toBe('v0.38.0-beta.0');
    expect(() => kubernetesStagingVersion('v2.0.0')).toThrow();
  });

  it('copies non-local replaces, single-line and versioned ones included', () => {
    const mod = `module example.com/app\n\nreplace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0\nreplace example.com/a v1.2.0 => example.com/fork v1.2.1 // pinned\n`;
    expect(parseReplaces(mod)).toEqual([
      { from: 'github.com/Shopify/sarama', fromVersion: undefined, to: 'github.com/Shopify/sarama', toVersion: 'v1.33.0' },
      { from: 'example.com/a', fromVersion: 'v1.2.0', to: 'example.com/fork', toVersion: 'v1.2.1' },
    ]);
    expect(inheritedReplaceLines(mod, 'non-local', 'v1.76.0')).toEqual([
      'github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0',
      'example.com/a v1.2.0 => example.com/fork v1.2.1',
    ]);
  });

  it('refuses local replaces it cannot restate (and staging ones outside kubernetes-staging mode)', () => {
    expect(() => inheritedReplaceLines('replace go.etcd.io/etcd/api/v3 => ../api\n', 'non-local', 'v3.7.3')).toThrow(/cannot restate the local replace go.etcd.io\/etcd\/api\/v3 => ..\/api/);
    expect(() => inheritedReplaceLines(KUBERNETES_GO_MOD, 'non-local', 'v1.37.2')).toThrow(/local replace k8s.io\/api/);
    expect(() => inheritedReplaceLines('replace k8s.io/api => ./staging/src/k8s.io/apimachinery\n', 'kubernetes-staging', 'v1.37.2')).toThrow();
  });

  it('reads godebug directives', () => {
    expect(parseGodebug(KUBERNETES_GO_MOD)).toEqual(['default=go1.26']);
    expect(parseGodebug('godebug (\n\tdefault=go1.21\n\tpanicnil=1\n)\n')).toEqual(['default=go1.21', 'panicnil=1']);
  });

  it('renders the scratch module', () => {
    const text = renderScratchGoMod({
      module: 'refstack.local/tools/kubernetes',
      goVersion: 'go1.26.8',
      require: [{ module: 'k8s.io/kubernetes', version: 'v1.37.2' }],
      replaces: inheritedReplaceLines(KUBERNETES_GO_MOD, 'kubernetes-staging', 'v1.37.2'),
      godebug: parseGodebug(KUBERNETES_GO_MOD),
    });
    expect(text).toBe(
      [
        'module refstack.local/tools/kubernetes',
        '',
        'go 1.26.8',
        '',
        'godebug default=go1.26',
        '',
        'require (',
        '\tk8s.io/kubernetes v1.37.2',
        ')',
        '',
        'replace (',
        '\tk8s.io/api => k8s.io/api v0.37.2',
        '\tk8s.io/apimachinery => k8s.io/apimachinery v0.37.2',
        '\tk8s.io/client-go => k8s.io/client-go v0.37.2',
        '\tk8s.io/kms => k8s.io/kms v0.37.2',
        ')',
        '',
      ].join('\n'),
    );
    // What it renders, it parses back.
    expect(parseReplaces(text).map((r) => `${r.from} => ${r.to} ${r.toVersion}`)).toHaveLength(4);
  });
});
