/**
 * Where a Node process spends its CPU: a V8 `.cpuprofile` (what `node --cpu-prof` writes, the format
 * Chrome DevTools opens) reduced to self time per source module and per category of the read path.
 *
 * The sample app runs as one esbuild bundle; esbuild (unminified) opens each inlined module with a
 * `// <path>` comment line, so a bundle line maps back to its source file or package.
 */

/** The parts of V8's `Profiler.Profile` this reads (Chrome DevTools protocol). */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  /** Microseconds on V8's monotonic clock. */
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample, one per sample. */
  timeDeltas: number[];
}

/** The part of the profile to count, as seconds before the profile's end (the process exit): e.g. the load window. */
export interface ProfileWindow {
  fromSecondsBeforeEnd: number;
  toSecondsBeforeEnd: number;
}

export interface TimeShare {
  name: string;
  /** Self time in milliseconds. */
  selfMs: number;
  /** Share of the busy time (everything but `(idle)`), 0–1. */
  share: number;
}

export interface ProfileSummary {
  /** Sampled wall time, milliseconds. */
  totalMs: number;
  /** Sampled time not spent idle, milliseconds. */
  busyMs: number;
  /** Self time per category. */
  categories: TimeShare[];
  /** The same time with Node core's part charged to the category of the nearest caller above it. */
  byCaller: TimeShare[];
  modules: TimeShare[];
  functions: TimeShare[];
}

const NODE_CORE = 'Node core (http, net, streams, timers…)';

/** Categories of the read path, first match wins; the order matters (app files before `sample-app/`). */
export const CATEGORIES: Array<[name: string, id: string, pattern: RegExp]> = [
  ['rate limit', 'rate_limit', /^sample-app\/src\/api\/rate-limit\.ts$/],
  ['cache (Redis client)', 'cache', /^(sample-app\/src\/api\/cache\.ts|sample-app\/src\/shared\/redis\.ts|ioredis|redis-parser|denque|cluster-key-slot|standard-as-callback|@ioredis\/.*)$/],
  ['validation (OpenAPI/ajv)', 'validation', /^(sample-app\/src\/api\/validation\.ts|sample-app\/openapi\/.*|ajv|ajv-formats|fast-deep-equal|fast-uri|json-schema-traverse)$/],
  ['metrics (prom-client)', 'metrics', /^(sample-app\/src\/shared\/metrics\.ts|prom-client|tdigest|bintrees)$/],
  ['tracing (OpenTelemetry)', 'tracing', /^(sample-app\/src\/telemetry\/.*|@opentelemetry\/.*|shimmer|require-in-the-middle|import-in-the-middle|module-details-from-path)$/],
  ['logging (pino)', 'logging', /^(sample-app\/src\/shared\/logger\.ts|pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|safe-stable-stringify|on-exit-leak-free)$/],
  ['database client (pg)', 'database_client', /^(pg|pg-pool|pg-protocol|pg-types|pgpass|postgres-.*|sample-app\/src\/shared\/db\.ts)$/],
  ['sample app (other)', 'app_other', /^sample-app\//],
  ['Express and its middleware', 'express', /^(express|router|body-parser|finalhandler|send|serve-static|qs|cookie|content-type|type-is|accepts|negotiator|mime-types|mime-db|path-to-regexp|parseurl|depd|debug|ms|on-finished|http-errors|statuses|etag|fresh|range-parser|vary|encodeurl|escape-html|proxy-addr|forwarded|ipaddr\.js|merge-descriptors|utils-merge|methods|media-typer|raw-body|iconv-lite|safe-buffer|content-disposition|setprototypeof|inherits|toidentifier|bytes|destroy|unpipe|ee-first|side-channel.*|call-bind.*|get-intrinsic|has-symbols|function-bind|es-.*|gopd|hasown|object-inspect|dunder-proto|math-intrinsics|get-proto|router)$/],
  [NODE_CORE, 'node_core', /^node:/],
  ['garbage collection', 'gc', /^\(garbage collector\)$/],
  ['V8 and native (program)', 'v8_native', /^\(program\)$/],
];

/** esbuild's module markers in an unminified bundle: 1-based first line of each module → its path. */
export function bundleModules(bundle: string): Array<{ line: number; module: string }> {
  const markers: Array<{ line: number; module: string }> = [];
  const lines = bundle.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ ((?:node_modules|sample-app)\/\S+)$/.exec(lines[i]!);
    if (m) markers.push({ line: i + 1, module: moduleName(m[1]!) });
  }
  return markers;
}

/** `node_modules/@scope/pkg/lib/x.js` → `@scope/pkg`; `node_modules/pkg/x.js` → `pkg`; app files keep their path. */
function moduleName(path: string): string {
  const nm = path.lastIndexOf('node_modules/');
  if (nm < 0) return path;
  const parts = path.slice(nm + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function moduleOf(frame: CpuProfile['nodes'][number]['callFrame'], bundleUrl: string, markers: Array<{ line: number; module: string }>): string {
  const { url, functionName, lineNumber } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.replace(/^file:\/\//, '');
  if (path === bundleUrl) {
    // lineNumber is 0-based; the last marker at or above the line owns it.
    let lo = 0;
    let hi = markers.length - 1;
    let owner = '(bundle prelude)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (markers[mid]!.line <= lineNumber + 1) {
        owner = markers[mid]!.module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return owner;
  }
  return moduleName(path);
}

/** A frame's line: in the source file, or (inside the bundle) the bundle's own line, which is not the source line. */
function where(frame: CpuProfile['nodes'][number]['callFrame'], bundlePath: string): string {
  if (!frame.url) return '';
  return frame.url.replace(/^file:\/\//, '') === bundlePath ? ` (bundle line ${frame.lineNumber + 1})` : `:${frame.lineNumber + 1}`;
}

export function categoryOf(module: string): string {
  for (const [name, , pattern] of CATEGORIES) if (pattern.test(module)) return name;
  return module === '(idle)' ? 'idle' : 'other'; // '(root)' too: a walk up the stack passes it
}

/**
 * Self time per category, module and function (`name module:line`), biggest first.
 * `bundlePath` is the bundle's path as V8 reports it (e.g. `/app/sample-app.cjs`); `bundle` its text.
 * Throws when the profile has no samples (the process exited before the profiler sampled anything).
 */
export function summarizeProfile(profile: CpuProfile, bundlePath: string, bundle: string, window?: ProfileWindow): ProfileSummary {
  if (!profile.samples?.length) throw new Error('the CPU profile has no samples: was the process stopped before it served anything?');
  const from = window ? profile.endTime - window.fromSecondsBeforeEnd * 1e6 : -Infinity;
  const to = window ? profile.endTime - window.toSecondsBeforeEnd * 1e6 : Infinity;
  const markers = bundleModules(bundle);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // A sample's time runs until the next sample (what DevTools shows as self time).
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at > to) continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + Math.max(0, us));
  }
  const add = (into: Map<string, number>, key: string, us: number) => into.set(key, (into.get(key) ?? 0) + us);
  const categories = new Map<string, number>();
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  const callers = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // A native function (no url: writev, writeUtf8String…) is charged to the nearest caller that has source.
  const owner = (id: number): CpuProfile['nodes'][number]['callFrame'] => {
    let frame = byId.get(id)!.callFrame;
    for (let at = parent.get(id); !frame.url && !frame.functionName.startsWith('(') && at !== undefined; at = parent.get(at)) {
      const up = byId.get(at)!.callFrame;
      if (up.url) return { ...up, functionName: `${frame.functionName} ← ${up.functionName || '(anonymous)'}` };
      if (up.functionName.startsWith('(')) break;
    }
    return frame;
  };
  const categoryOfNode = (id: number) => categoryOf(moduleOf(byId.get(id)!.callFrame, bundlePath, markers));
  // Node's own work (socket writes, parsing, timers) charged to the nearest library or app frame above it.
  const caller = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const category = categoryOfNode(at);
      if (category !== NODE_CORE && category !== 'other' && category !== 'idle') return category;
    }
    return categoryOfNode(id);
  };
  for (const [id, us] of selfUs) {
    if (us === 0) continue;
    const frame = owner(id);
    const module = moduleOf(frame, bundlePath, markers);
    if (module !== '(idle)') add(callers, caller(id), us);
    totalUs += us;
    if (module === '(idle)') {
      idleUs += us;
      continue;
    }
    add(categories, categoryOf(module), us);
    add(modules, module, us);
    add(functions, `${frame.functionName || '(anonymous)'} ${module}${where(frame, bundlePath)}`, us);
  }
  const busyUs = totalUs - idleUs;
  const shares = (m: Map<string, number>): TimeShare[] =>
    [...m]
      .map(([name, us]) => ({ name, selfMs: Number((us / 1000).toFixed(1)), share: busyUs ? Number((us / busyUs).toFixed(4)) : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: totalUs / 1000, busyMs: busyUs / 1000, categories: shares(categories), byCaller: shares(callers), modules: shares(modules), functions: shares(functions) };
}
