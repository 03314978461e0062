// The catalog of third-party Go tools the project builds from the Go module proxy (never a committed
// binary, never a downloaded release). Each entry is a recipe: what to fetch, how to build it, what it
// yields. build.ts turns a recipe into a cached directory; recipe.ts holds the pure parts (hash, go.mod
// generation). Versions follow /work/shared/notes/build-recipes.md (newest patch on the proxy where the
// note says "x").

/**
 * How a tool is built.
 * - `go-install`: `go install <pkg>@<version>` for every binary (the module's go.mod must have no
 *   replace/exclude directives, or `go install` refuses).
 * - `scratch-module`: a throw-away main module that `go get -tool`s the packages (and optionally inherits
 *   the upstream module's replace lines, e.g. Kubernetes' staging modules), then `go build`.
 * - `module-copy`: copy the module out of the module cache, make it writable and `go build` inside it, so
 *   that its own go.mod (with its replace/exclude directives) is the main module.
 */
export type RecipeKind = 'go-install' | 'scratch-module' | 'module-copy';

export interface BinarySpec {
  /** File name in the tool's bin/ directory. */
  name: string;
  /** Full import path of the main package (`module-copy`: a path relative to the module root, `./cmd`). */
  pkg: string;
}

export interface ExtraModule {
  module: string;
  version: string;
}

/** A file or directory copied out of the (main) module's source into the tool directory. */
export interface ModuleFile {
  /** Path inside the module, e.g. `kustomize/stage/pod/fast`. */
  from: string;
  /** Path inside the tool directory, e.g. `share/stages/pod-fast`. */
  to: string;
}

/** A post-build check: run a binary, its output must contain `expect`. Run on cold builds only. */
export interface SmokeCheck {
  bin: string;
  args: string[];
  expect: string;
}

export interface ToolSpec {
  name: string;
  description: string;
  /** The Go module that holds the tool (for `scratch-module`, the module whose packages are built). */
  module: string;
  version: string;
  kind: RecipeKind;
  binaries: BinarySpec[];
  /**
   * Extra `-ldflags` beyond `-s -w` (e.g. `-X pkg.var=value`). `{buildDate}` is replaced at build time by
   * the module version's publication time from the proxy's .info (deterministic for a version).
   */
  ldflags?: string[];
  /** Build tags. */
  tags?: string[];
  /** CGO_ENABLED=1 when true; default false (static binaries). */
  cgo?: boolean;
  /** GOEXPERIMENT value, when a module needs one. */
  goExperiment?: string;
  /** `scratch-module`: further modules to `go get -tool` into the same scratch module. */
  extraModules?: ExtraModule[];
  /**
   * `scratch-module`: copy the upstream go.mod's replace lines (which a dependency's go.mod cannot impose).
   * `'kubernetes-staging'` also rewrites `k8s.io/X => ./staging/src/k8s.io/X` into `k8s.io/X v0.M.P`.
   */
  inheritReplaces?: 'non-local' | 'kubernetes-staging';
  /** Files or directories copied from the module's source into the tool directory. */
  files?: ModuleFile[];
  /** Link this binary into `${DOCKER_CONFIG:-~/.docker}/cli-plugins/` (Docker CLI plugin). */
  dockerCliPlugin?: string;
  smoke?: SmokeCheck;
  /** Known limits on this machine kind, shown by `cli.ts list`. */
  notes?: string;
}

const X = (variable: string, value: string): string => `-X ${variable}=${value}`;

const K8S_VERSION = 'v1.37.2';
const K8S_STAGING_VERSION = 'v0.37.2';

/** `-X` flags that make Kubernetes binaries report their release (what hack/lib/version.sh sets). */
export function kubernetesVersionLdflags(version: string): string[] {
  const m = /^v(\d+)\.(\d+)\.\d+/.exec(version);
  if (!m) throw new Error(`not a Kubernetes release version: ${version}`);
  const vars: Array<[string, string]> = [
    ['gitVersion', version],
    ['gitMajor', m[1]!],
    ['gitMinor', m[2]!],
    ['gitTreeState', 'archive'],
    ['buildDate', '{buildDate}'],
  ];
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) =>
    vars.map(([name, value]) => X(`${pkg}.${name}`, value)),
  );
}

export const KUBERNETES_BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kubelet',
  'kubeadm',
  'kube-proxy',
] as const;

export const CATALOG: readonly ToolSpec[] = [
  {
    name: 'toxiproxy',
    description: 'TCP proxy with injectable faults (latency, timeout, reset_peer, bandwidth, slicer)',
    module: 'github.com/Shopify/toxiproxy/v2',
    version: 'v2.5.0',
    kind: 'go-install',
    binaries: [
      { name: 'toxiproxy-server', pkg: 'github.com/Shopify/toxiproxy/v2/cmd/server' },
      { name: 'toxiproxy-cli', pkg: 'github.com/Shopify/toxiproxy/v2/cmd/cli' },
    ],
    ldflags: [X('github.com/Shopify/toxiproxy/v2.Version', '2.5.0')],
    smoke: { bin: 'toxiproxy-server', args: ['--version'], expect: '2.5.0' },
  },
  {
    name: 'actionlint',
    description: 'GitHub Actions workflow linter (offline)',
    module: 'github.com/rhysd/actionlint',
    version: 'v1.7.12',
    kind: 'go-install',
    binaries: [{ name: 'actionlint', pkg: 'github.com/rhysd/actionlint/cmd/actionlint' }],
    smoke: { bin: 'actionlint', args: ['-version'], expect: '1.7.12' },
  },
  {
    name: 'helm',
    description: 'Helm v3 (lint, template)',
    module: 'helm.sh/helm/v3',
    version: 'v3.22.0',
    kind: 'go-install',
    binaries: [{ name: 'helm', pkg: 'helm.sh/helm/v3/cmd/helm' }],
    ldflags: [X('helm.sh/helm/v3/internal/version.version', 'v3.22.0'), X('helm.sh/helm/v3/internal/version.gitTreeState', 'clean')],
    smoke: { bin: 'helm', args: ['version', '--short'], expect: 'v3.22.0' },
  },
  {
    name: 'kubeconform',
    description: 'Kubernetes manifest validator (local schemas only here: -schema-location)',
    module: 'github.com/yannh/kubeconform',
    version: 'v0.8.0',
    kind: 'go-install',
    binaries: [{ name: 'kubeconform', pkg: 'github.com/yannh/kubeconform/cmd/kubeconform' }],
    ldflags: [X('main.version', 'v0.8.0')],
    smoke: { bin: 'kubeconform', args: ['-v'], expect: 'v0.8.0' },
  },
  {
    name: 'kwok',
    description: 'Kubernetes WithOut Kubelet: fake nodes and pod lifecycles, with its stage files',
    module: 'sigs.k8s.io/kwok',
    version: 'v0.8.0',
    kind: 'go-install',
    binaries: [{ name: 'kwok', pkg: 'sigs.k8s.io/kwok/cmd/kwok' }],
    ldflags: [X('sigs.k8s.io/kwok/pkg/consts.Version', 'v0.8.0'), X('sigs.k8s.io/kwok/pkg/consts.KubeVersion', K8S_VERSION)],
    files: [
      { from: 'kustomize/stage/node/fast', to: 'share/stages/node-fast' },
      { from: 'kustomize/stage/node/heartbeat', to: 'share/stages/node-heartbeat' },
      { from: 'kustomize/stage/pod/fast', to: 'share/stages/pod-fast' },
    ],
    smoke: { bin: 'kwok', args: ['--version'], expect: '0.8.0' },
    notes: 'pass the stage files with --config (share/stages/*/*.yaml)',
  },
  {
    name: 'kind',
    description: 'Kubernetes IN Docker (binary only here: a node image cannot be pulled)',
    module: 'sigs.k8s.io/kind',
    version: 'v0.33.0',
    kind: 'go-install',
    binaries: [{ name: 'kind', pkg: 'sigs.k8s.io/kind' }],
    smoke: { bin: 'kind', args: ['version'], expect: 'v0.33.0' },
  },
  {
    name: 'vegeta',
    description: 'open-model HTTP load generator (-rate, -duration)',
    module: 'github.com/tsenart/vegeta/v12',
    version: 'v12.13.0',
    kind: 'go-install',
    binaries: [{ name: 'vegeta', pkg: 'github.com/tsenart/vegeta/v12' }],
    ldflags: [X('main.Version', 'v12.13.0')],
    smoke: { bin: 'vegeta', args: ['-version'], expect: 'v12.13.0' },
  },
  {
    name: 'promtool',
    description: 'Prometheus 3.x promtool (rules checks and unit tests); Debian ships 2.42',
    module: 'github.com/prometheus/prometheus',
    version: 'v0.316.0',
    kind: 'go-install',
    binaries: [{ name: 'promtool', pkg: 'github.com/prometheus/prometheus/cmd/promtool' }],
    ldflags: [X('github.com/prometheus/common/version.Version', '3.16.0'), X('github.com/prometheus/common/version.Branch', 'archive')],
    smoke: { bin: 'promtool', args: ['--version'], expect: '3.16.0' },
  },
  {
    name: 'syft',
    description: 'SBOM generator',
    module: 'github.com/anchore/syft',
    version: 'v1.57.1',
    kind: 'go-install',
    binaries: [{ name: 'syft', pkg: 'github.com/anchore/syft/cmd/syft' }],
    ldflags: [X('main.version', '1.57.1')],
    smoke: { bin: 'syft', args: ['version'], expect: '1.57.1' },
  },
  {
    name: 'metrics-server',
    description: 'Kubernetes resource metrics API server',
    module: 'sigs.k8s.io/metrics-server',
    version: 'v0.9.0',
    kind: 'go-install',
    binaries: [{ name: 'metrics-server', pkg: 'sigs.k8s.io/metrics-server/cmd/metrics-server' }],
    // --version prints k8s.io/client-go/pkg/version (its Makefile's PKG); unstamped: v0.0.0-master+$Format:%H$.
    ldflags: [X('k8s.io/client-go/pkg/version.gitVersion', 'v0.9.0'), X('k8s.io/client-go/pkg/version.gitTreeState', 'archive'), X('k8s.io/client-go/pkg/version.buildDate', '{buildDate}')],
    smoke: { bin: 'metrics-server', args: ['--version'], expect: 'v0.9.0' },
  },
  {
    name: 'jaeger',
    description: 'Jaeger v2 all-in-one (in-memory; UI assets are not in the module)',
    module: 'github.com/jaegertracing/jaeger',
    version: 'v1.76.0',
    kind: 'scratch-module',
    binaries: [{ name: 'jaeger', pkg: 'github.com/jaegertracing/jaeger/cmd/jaeger' }],
    inheritReplaces: 'non-local',
    // What its Makefile (scripts/makefiles/BuildInfo.mk) stamps; the module's v1 tag is the version we know.
    ldflags: [X('github.com/jaegertracing/jaeger/internal/version.latestVersion', 'v1.76.0'), X('github.com/jaegertracing/jaeger/internal/version.date', '{buildDate}')],
    smoke: { bin: 'jaeger', args: ['version'], expect: 'v1.76.0' },
    notes: 'two UI ports bind all interfaces: publish on 127.0.0.1 only',
  },
  {
    name: 'etcd',
    description: 'etcd 3.7 server and etcdctl',
    module: 'go.etcd.io/etcd/server/v3',
    version: 'v3.7.3',
    kind: 'scratch-module',
    binaries: [
      { name: 'etcd', pkg: 'go.etcd.io/etcd/server/v3' },
      { name: 'etcdctl', pkg: 'go.etcd.io/etcd/etcdctl/v3' },
    ],
    extraModules: [{ module: 'go.etcd.io/etcd/etcdctl/v3', version: 'v3.7.3' }],
    smoke: { bin: 'etcd', args: ['--version'], expect: '3.7.3' },
  },
  {
    name: 'kubernetes',
    description: `Kubernetes ${K8S_VERSION} binaries (staging modules replaced by k8s.io/* ${K8S_STAGING_VERSION})`,
    module: 'k8s.io/kubernetes',
    version: K8S_VERSION,
    kind: 'scratch-module',
    binaries: KUBERNETES_BINARIES.map((name) => ({ name, pkg: `k8s.io/kubernetes/cmd/${name}` })),
    inheritReplaces: 'kubernetes-staging',
    ldflags: kubernetesVersionLdflags(K8S_VERSION),
    smoke: { bin: 'kubectl', args: ['version', '--client'], expect: `Client Version: ${K8S_VERSION}` },
    notes: 'kube-apiserver refuses --advertise-address=127.0.0.1 with the default endpoint reconciler',
  },
  {
    name: 'docker-compose',
    description: 'Docker Compose v2, installed as a Docker CLI plugin',
    module: 'github.com/docker/compose/v2',
    version: 'v2.40.3',
    kind: 'module-copy',
    binaries: [{ name: 'docker-compose', pkg: './cmd' }],
    ldflags: [X('github.com/docker/compose/v2/internal.Version', 'v2.40.3')],
    dockerCliPlugin: 'docker-compose',
    smoke: { bin: 'docker-compose', args: ['version'], expect: 'v2.40.3' },
    notes: '`go install` is refused (exclude directives in its go.mod); the v5 line needs modules that are not served',
  },
];

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const SEMVER = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const MODULE = /^[a-z0-9.-]+\.[a-z]+(\/[A-Za-z0-9._~-]+)*$/;

/** Every problem with a catalog, as readable lines; empty when it is valid. */
export function validateCatalog(tools: readonly ToolSpec[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const t of tools) {
    const at = `tool ${JSON.stringify(t.name)}`;
    if (!NAME.test(t.name)) problems.push(`${at}: name must match ${NAME}`);
    if (seen.has(t.name)) problems.push(`${at}: duplicate name`);
    seen.add(t.name);
    if (!MODULE.test(t.module)) problems.push(`${at}: module ${t.module} is not a module path`);
    if (!SEMVER.test(t.version)) problems.push(`${at}: version ${t.version} is not a semver tag (vX.Y.Z)`);
    const majorSuffix = /\/v(\d+)$/.exec(t.module);
    const major = Number(/^v(\d+)/.exec(t.version)?.[1]);
    if (majorSuffix && Number(majorSuffix[1]) !== major) problems.push(`${at}: version ${t.version} does not match the module's /v${majorSuffix[1]}`);
    if (!majorSuffix && major >= 2 && t.kind !== 'module-copy') {
      // A v2+ version without /vN is only servable as +incompatible, which these tools are not.
      problems.push(`${at}: version ${t.version} needs a /v${major} module path`);
    }
    if (t.binaries.length === 0) problems.push(`${at}: yields no binary`);
    const bins = new Set<string>();
    for (const b of t.binaries) {
      if (!NAME.test(b.name)) problems.push(`${at}: binary name ${b.name} must match ${NAME}`);
      if (bins.has(b.name)) problems.push(`${at}: binary ${b.name} listed twice`);
      bins.add(b.name);
      if (t.kind === 'module-copy') {
        if (!b.pkg.startsWith('./')) problems.push(`${at}: module-copy binary ${b.name} needs a ./relative package`);
      } else {
        const owners = [t.module, ...(t.extraModules ?? []).map((m) => m.module)];
        if (!owners.some((m) => b.pkg === m || b.pkg.startsWith(`${m}/`))) {
          problems.push(`${at}: package ${b.pkg} is in none of its modules (${owners.join(', ')})`);
        }
      }
    }
    if (t.extraModules && t.kind !== 'scratch-module') problems.push(`${at}: extraModules need kind scratch-module`);
    for (const m of t.extraModules ?? []) {
      if (!MODULE.test(m.module) || !SEMVER.test(m.version)) problems.push(`${at}: extra module ${m.module}@${m.version} is malformed`);
    }
    if (t.inheritReplaces && t.kind !== 'scratch-module') problems.push(`${at}: inheritReplaces needs kind scratch-module`);
    for (const f of t.ldflags ?? []) {
      if (!/^-X [\w./-]+\.\w+=\S*$/.test(f)) problems.push(`${at}: ldflag ${JSON.stringify(f)} is not of the form -X pkg.var=value`);
    }
    for (const f of t.files ?? []) {
      for (const p of [f.from, f.to]) {
        if (p.startsWith('/') || p.split('/').includes('..') || p === '') problems.push(`${at}: file path ${JSON.stringify(p)} must be relative and inside`);
      }
      if (f.to === 'bin' || f.to.startsWith('bin/')) problems.push(`${at}: files must not land in bin/`);
    }
    if (t.dockerCliPlugin && !bins.has(t.dockerCliPlugin)) problems.push(`${at}: dockerCliPlugin ${t.dockerCliPlugin} is not one of its binaries`);
    if (t.dockerCliPlugin && !t.dockerCliPlugin.startsWith('docker-')) problems.push(`${at}: a Docker CLI plugin's file name starts with docker-`);
    if (t.smoke && !bins.has(t.smoke.bin)) problems.push(`${at}: smoke check runs ${t.smoke.bin}, not one of its binaries`);
  }
  return problems;
}

export function toolNames(tools: readonly ToolSpec[] = CATALOG): string[] {
  return tools.map((t) => t.name);
}

export function getTool(name: string, tools: readonly ToolSpec[] = CATALOG): ToolSpec {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`unknown tool ${JSON.stringify(name)}; known: ${toolNames(tools).join(', ')}`);
  return tool;
}
