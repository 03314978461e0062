// Pure parts of the tool builder: the recipe hash, cache directory names, ldflags, binary names and the
// scratch module's go.mod (replace lines generated from an upstream go.mod). No I/O here.
import { createHash } from 'node:crypto';
import type { ToolSpec } from './catalog.ts';

/** Bump when the build procedure changes in a way that changes what lands in a tool directory. */
export const RECIPE_SCHEMA = 1;

/** GOFLAGS every build runs with. */
export const BUILD_GOFLAGS = '-trimpath';

export interface GoEnv {
  /** `go1.26.8` */
  goVersion: string;
  goos: string;
  goarch: string;
}

/** Everything that decides what a build produces, and nothing else (not the description or notes). */
export function recipeInputs(tool: ToolSpec, go: GoEnv): Record<string, unknown> {
  return {
    schema: RECIPE_SCHEMA,
    name: tool.name,
    module: tool.module,
    version: tool.version,
    kind: tool.kind,
    binaries: tool.binaries.map((b) => ({ name: b.name, pkg: b.pkg })),
    ldflags: ldflagsFor(tool),
    tags: tool.tags ?? [],
    cgo: tool.cgo ?? false,
    goExperiment: tool.goExperiment ?? '',
    goflags: BUILD_GOFLAGS,
    extraModules: tool.extraModules ?? [],
    inheritReplaces: tool.inheritReplaces ?? '',
    files: tool.files ?? [],
    goVersion: go.goVersion,
    goos: go.goos,
    goarch: go.goarch,
  };
}

/** JSON with object keys sorted at every level, so that key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 12 hex digits of sha256 over the canonical recipe inputs. */
export function recipeHash(tool: ToolSpec, go: GoEnv): string {
  return createHash('sha256').update(canonicalJson(recipeInputs(tool, go))).digest('hex').slice(0, 12);
}

/** `<name>-<version>-<hash>`: the tool's directory under the cache root. */
export function toolDirName(tool: ToolSpec, go: GoEnv): string {
  return `${tool.name}-${tool.version}-${recipeHash(tool, go)}`;
}

/** The full -ldflags value (before `{buildDate}` is filled in). */
export function ldflagsFor(tool: ToolSpec): string {
  return ['-s', '-w', ...(tool.ldflags ?? [])].join(' ');
}

/** Fill the build-time placeholders of an -ldflags value. */
export function fillLdflags(ldflags: string, values: { buildDate: string }): string {
  return ldflags.replaceAll('{buildDate}', values.buildDate);
}

/** The file name `go install`/`go build` gives a main package: its last path element, a /vN suffix skipped. */
export function goDefaultBinaryName(pkg: string): string {
  const parts = pkg.replace(/\/+$/, '').split('/');
  const last = parts[parts.length - 1] ?? '';
  // Go's rule: a major-version suffix (v2, v3, …) names the element before it.
  if (parts.length > 1 && /^v([2-9]|[1-9]\d+)$/.test(last)) return parts[parts.length - 2]!;
  return last;
}

/** `go1.26.8` → `1.26.8` */
export function goDirectiveVersion(goVersion: string): string {
  const m = /^go(\d+\.\d+(?:\.\d+)?)/.exec(goVersion);
  if (!m) throw new Error(`unexpected Go version ${goVersion}`);
  return m[1]!;
}

export interface Replace {
  /** Left side: module path, optionally with a version. */
  from: string;
  fromVersion?: string;
  /** Right side: a module path with a version, or a local directory (starts with ./ ../ or /). */
  to: string;
  toVersion?: string;
}

/** The replace directives of a go.mod text, single-line and block form. */
export function parseReplaces(goMod: string): Replace[] {
  const out: Replace[] = [];
  let inBlock = false;
  for (const raw of goMod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '') continue;
    if (inBlock) {
      if (line === ')') {
        inBlock = false;
        continue;
      }
      out.push(parseReplaceBody(line));
      continue;
    }
    if (/^replace\s*\($/.test(line)) {
      inBlock = true;
      continue;
    }
    const single = /^replace\s+(.+)$/.exec(line);
    if (single) out.push(parseReplaceBody(single[1]!));
  }
  return out;
}

function parseReplaceBody(body: string): Replace {
  const [left, right] = body.split('=>').map((s) => s.trim().split(/\s+/).filter(Boolean));
  if (!left || !right || left.length < 1 || left.length > 2 || right.length < 1 || right.length > 2) {
    throw new Error(`malformed replace directive: ${body}`);
  }
  return { from: left[0]!, fromVersion: left[1], to: right[0]!, toVersion: right[1] };
}

/** The `godebug` directives of a go.mod text (the main module's decide runtime defaults). */
export function parseGodebug(goMod: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of goMod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (inBlock) {
      if (line === ')') inBlock = false;
      else if (line) out.push(line);
      continue;
    }
    if (/^godebug\s*\($/.test(line)) inBlock = true;
    else {
      const m = /^godebug\s+(.+)$/.exec(line);
      if (m) out.push(m[1]!);
    }
  }
  return out;
}

const isLocalPath = (p: string): boolean => p.startsWith('./') || p.startsWith('../') || p.startsWith('/') || p === '.' || p === '..';

/** `v1.37.2` → `v0.37.2`: the version the staging modules are published at for a Kubernetes release. */
export function kubernetesStagingVersion(kubernetesVersion: string): string {
  const m = /^v1\.(\d+)\.(\d+)(-.*)?$/.exec(kubernetesVersion);
  if (!m) throw new Error(`not a Kubernetes v1.x.y version: ${kubernetesVersion}`);
  return `v0.${m[1]}.${m[2]}${m[3] ?? ''}`;
}

/**
 * The replace lines a scratch main module needs to build packages of `upstreamGoMod`'s module: upstream
 * replaces are ignored when that module is a dependency, so they are restated. Non-local replaces are
 * copied as they are; with `kubernetes-staging`, `k8s.io/X => ./staging/src/k8s.io/X` becomes
 * `k8s.io/X => k8s.io/X v0.M.P`. Any other local replace cannot be restated and is an error.
 */
export function inheritedReplaceLines(upstreamGoMod: string, mode: 'non-local' | 'kubernetes-staging', version: string): string[] {
  const lines: string[] = [];
  const stagingVersion = mode === 'kubernetes-staging' ? kubernetesStagingVersion(version) : '';
  for (const r of parseReplaces(upstreamGoMod)) {
    const left = r.fromVersion ? `${r.from} ${r.fromVersion}` : r.from;
    if (!isLocalPath(r.to)) {
      lines.push(`${left} => ${r.to}${r.toVersion ? ` ${r.toVersion}` : ''}`);
      continue;
    }
    const staging = /^\.\/staging\/src\/(.+)$/.exec(r.to);
    if (mode === 'kubernetes-staging' && staging && staging[1] === r.from) {
      lines.push(`${left} => ${r.from} ${stagingVersion}`);
      continue;
    }
    throw new Error(`cannot restate the local replace ${r.from} => ${r.to} outside its repository`);
  }
  return lines;
}

/** A scratch main module's go.mod: module line, go line, upstream godebug, one require, replace block. */
export function renderScratchGoMod(opts: {
  module: string;
  goVersion: string;
  require: Array<{ module: string; version: string }>;
  replaces: string[];
  godebug?: string[];
}): string {
  const out = [`module ${opts.module}`, '', `go ${goDirectiveVersion(opts.goVersion)}`, ''];
  if (opts.godebug && opts.godebug.length > 0) out.push(...opts.godebug.map((g) => `godebug ${g}`), '');
  if (opts.require.length > 0) out.push('require (', ...opts.require.map((r) => `\t${r.module} ${r.version}`), ')', '');
  if (opts.replaces.length > 0) out.push('replace (', ...opts.replaces.map((r) => `\t${r}`), ')', '');
  return out.join('\n');
}

/** Hints for a failed build, chosen from its output. Always ends with the generic next steps. */
export function failureHints(output: string, logPath: string): string[] {
  const hints: string[] = [];
  const text = output.replace(/\s+/g, ' '); // go wraps its messages over several lines
  const has = (re: RegExp): boolean => re.test(text);
  const notServed = has(/410 Gone|404 Not Found|403 Forbidden|module version is not available|unknown revision|invalid version|no matching versions|not found: /);
  if (has(/requires go >= |go: updates to go\.mod needed|toolchain not available|go\.mod requires go/)) {
    hints.push('The module needs a newer Go than the one on PATH (GOTOOLCHAIN=local is set on purpose): install that Go, or pin an older version in src/core/tools/catalog.ts.');
  }
  if (!notServed && has(/dial tcp|i\/o timeout|TLS handshake|connection refused|no such host|connection reset/)) {
    hints.push('The Go module proxy could not be reached: check `go env GOPROXY` and the network, then run the same command again (downloads resume from the module cache).');
  }
  if (notServed) {
    hints.push('The proxy does not serve that module version: check it with `go list -m -versions <module>` and fix the version in the catalog.');
  }
  if (has(/contains one or more replace directives|contains one or more exclude directives|must not contain directives that would cause it to be interpreted differently/)) {
    hints.push('`go install mod@version` refuses modules with replace/exclude directives: change the recipe kind to module-copy (build inside a copy of the module) or scratch-module.');
  }
  if (has(/signal: killed|out of memory|cannot allocate memory/)) {
    hints.push('The compiler or linker was killed (memory): run one build at a time (other builds on the machine?), or set GOMAXPROCS=1 and retry.');
  }
  if (has(/no space left on device/)) hints.push('The disk is full: free space (`go clean -cache` removes the Go build cache) and retry.');
  if (has(/ambiguous import|missing go\.sum entry|no required module provides package/)) {
    hints.push('The module graph does not resolve: the upstream go.mod probably needs replace lines the scratch module lacks (inheritReplaces in the catalog).');
  }
  hints.push(`Full output: ${logPath}`);
  hints.push('Retry: node --import tsx src/core/tools/cli.ts build <name> (a failed build leaves nothing in the cache).');
  return hints;
}
