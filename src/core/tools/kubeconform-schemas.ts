// kubeconform JSON schemas from a Kubernetes API server's OpenAPI document, offline.
//
// kubeconform cannot download schemas here; it reads them from a local directory laid out as
//   <dir>/v<version>-standalone[-strict]/<kind><-group><-version>.json     e.g. v1.37.2-standalone-strict/deployment-apps-v1.json
// (kubeconform's default template `{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/
// {{ .ResourceKind }}{{ .KindSuffix }}.json`, KindSuffix = "-" + first label of the group + "-" + version).
// The conversion follows openapi2jsonschema (the tool behind kubeconform's default schema set) with
// `--kubernetes --expanded --stand-alone [--strict]`: one file per definition named from its dotted title
// (io.k8s.api.apps.v1.Deployment → deployment-apps-v1, core → pod-v1), apiVersion/kind restricted to the
// definition's x-kubernetes-group-version-kind, IntOrString → string|integer, Quantity → string|number,
// every $ref inlined, optional top-level fields nullable, and in strict mode additionalProperties: false on
// every object that lists properties. Definitions that carry JSON schema themselves (CRD types) are left
// out, as upstream does; a recursive $ref is cut to {} (upstream crashes on them).
import * as fs from 'node:fs/promises';
import { join } from 'node:path';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Definitions openapi2jsonschema does not convert stand-alone (they embed JSON schema, recursively). */
const UNSUPPORTED_KINDS = new Set([
  'jsonschemaprops',
  'jsonschemapropsorarray',
  'customresourcevalidation',
  'customresourcedefinition',
  'customresourcedefinitionspec',
  'customresourcedefinitionlist',
  'jsonschemapropsorstringarray',
  'jsonschemapropsorbool',
]);

/** `io.k8s.api.apps.v1.Deployment` → `deployment-apps-v1`; core/api groups have no group part. */
export function schemaFileName(title: string): string {
  const parts = title.split('.');
  const kind = (parts[parts.length - 1] ?? '').toLowerCase();
  const version = (parts[parts.length - 2] ?? '').toLowerCase();
  const group = (parts[parts.length - 3] ?? '').toLowerCase();
  return group === 'core' || group === 'api' ? `${kind}-${version}` : `${kind}-${group}-${version}`;
}

/** The directory kubeconform looks in for a version: `v1.37.2-standalone-strict`. */
export function schemaDirName(kubernetesVersion: string, strict: boolean): string {
  const v = kubernetesVersion.startsWith('v') ? kubernetesVersion : `v${kubernetesVersion}`;
  return `${v}-standalone${strict ? '-strict' : ''}`;
}

function clone<T extends Json>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** additionalProperties: false on every object below `data` that lists properties (kubectl's old validation). */
function closeObjects(data: Json): Json {
  if (Array.isArray(data)) return data.map(closeObjects);
  if (!isObj(data)) return data;
  const out: Obj = {};
  for (const [k, v] of Object.entries(data)) {
    if (isObj(v) && 'properties' in v && !('additionalProperties' in v)) out[k] = closeObjects({ ...v, additionalProperties: false });
    else out[k] = closeObjects(v);
  }
  return out;
}

function replaceIntOrString(data: Json): Json {
  if (Array.isArray(data)) return data.map(replaceIntOrString);
  if (!isObj(data)) return data;
  const out: Obj = {};
  for (const [k, v] of Object.entries(data)) {
    out[k] = isObj(v) && v.format === 'int-or-string' ? { oneOf: [{ type: 'string' }, { type: 'integer' }] } : replaceIntOrString(v);
  }
  return out;
}

/** `type: x` → `type: [x, "null"]` for fields their parent does not require (as upstream, top level only). */
function allowNullOptional(data: Json, parent?: Json, grandParent?: Json, key?: string): Json {
  if (Array.isArray(data)) return data.map((x) => allowNullOptional(x, data, parent, key));
  if (!isObj(data)) return data;
  const out: Obj = {};
  for (const [k, v] of Object.entries(data)) {
    if (isObj(v) || Array.isArray(v)) out[k] = allowNullOptional(v, data, parent, k);
    else if (k === 'type' && typeof v === 'string' && v !== 'null') {
      const required = isObj(grandParent) && Array.isArray(grandParent.required) && key !== undefined && grandParent.required.includes(key);
      out[k] = required ? v : [v, 'null'];
    } else out[k] = v;
  }
  return out;
}

function refName(ref: string): string | undefined {
  const m = /^#\/(?:definitions|components\/schemas)\/(.+)$/.exec(ref);
  return m?.[1];
}

export interface ConvertResult {
  /** file name (without .json) → schema */
  schemas: Map<string, Obj>;
  skipped: string[];
  cycles: number;
}

/**
 * Convert an OpenAPI v2 document (`/openapi/v2`) — or a v3 one, or several merged (`components.schemas`) —
 * into kubeconform's stand-alone schemas.
 */
export function convertOpenApi(doc: unknown, opts: { strict: boolean }): ConvertResult {
  const d = doc as { definitions?: Obj; components?: { schemas?: Obj } };
  const source = d.definitions ?? d.components?.schemas;
  if (!isObj(source)) throw new Error('no definitions (OpenAPI v2) or components.schemas (v3) in the document');
  const definitions: Obj = clone(source);

  // Kubernetes processors on the shared definitions.
  definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { oneOf: [{ type: 'string' }, { type: 'number' }] };
  for (const def of Object.values(definitions)) {
    if (!isObj(def) || !Array.isArray(def['x-kubernetes-group-version-kind']) || !isObj(def.properties)) continue;
    for (const gvk of def['x-kubernetes-group-version-kind']) {
      if (!isObj(gvk)) continue;
      const props = def.properties;
      const apiVersion = gvk.group ? `${String(gvk.group)}/${String(gvk.version)}` : String(gvk.version);
      for (const [field, value] of [['apiVersion', apiVersion], ['kind', String(gvk.kind)]] as const) {
        const p = props[field];
        if (!isObj(p)) continue;
        const e = Array.isArray(p.enum) ? p.enum : (p.enum = []);
        if (!e.includes(value)) e.push(value);
      }
    }
  }
  const shared: Obj = opts.strict ? (closeObjects(definitions) as Obj) : definitions;

  let cycles = 0;
  const inline = (node: Json, stack: string[]): Json => {
    if (Array.isArray(node)) return node.map((x) => inline(x, stack));
    if (!isObj(node)) return node;
    if (typeof node.$ref === 'string') {
      const name = refName(node.$ref);
      if (name === undefined || !(name in shared)) throw new Error(`unresolvable $ref ${node.$ref}`);
      if (stack.includes(name)) {
        cycles++;
        return {};
      }
      return inline(shared[name]!, [...stack, name]);
    }
    const out: Obj = {};
    for (const [k, v] of Object.entries(node)) out[k] = inline(v, stack);
    return out;
  };

  const schemas = new Map<string, Obj>();
  const skipped: string[] = [];
  for (const [title, raw] of Object.entries(definitions)) {
    const parts = title.split('.');
    const kind = (parts[parts.length - 1] ?? '').toLowerCase();
    if ((parts[2] === 'kubernetes' && parts[3] === 'pkg') || UNSUPPORTED_KINDS.has(kind) || !isObj(raw)) {
      skipped.push(title);
      continue;
    }
    let spec: Obj = clone(raw);
    spec.$schema = 'http://json-schema.org/schema#';
    if (!('type' in spec)) spec.type = 'object';
    if (opts.strict) spec.additionalProperties = false;
    if (opts.strict && isObj(spec.properties)) spec.properties = closeObjects(spec.properties);
    if (isObj(spec.properties)) spec.properties = allowNullOptional(replaceIntOrString(spec.properties));
    spec = inline(spec, [title]) as Obj;
    schemas.set(schemaFileName(title), spec);
  }
  return { schemas, skipped, cycles };
}

/**
 * Write both layouts (`-standalone` and `-standalone-strict`) for one Kubernetes version under `outDir`.
 * Then: kubeconform -schema-location <outDir> -kubernetes-version 1.37.2 [-strict] manifests…
 */
export async function writeKubeconformSchemas(openapiV2: unknown, outDir: string, kubernetesVersion: string): Promise<{ dirs: string[]; files: number }> {
  const dirs: string[] = [];
  let files = 0;
  for (const strict of [false, true]) {
    const dir = join(outDir, schemaDirName(kubernetesVersion, strict));
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    const { schemas } = convertOpenApi(openapiV2, { strict });
    for (const [name, schema] of schemas) {
      await fs.writeFile(join(dir, `${name}.json`), JSON.stringify(schema));
      files++;
    }
    dirs.push(dir);
  }
  return { dirs, files };
}
