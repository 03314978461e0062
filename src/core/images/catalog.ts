import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { SERVICES_DIR } from '../paths.ts';
import { toolDir } from '../tools/build.ts';
import { parseStageRequest, type StageRequest } from '../tools/stage.ts';
import type { Registry } from './registries.ts';

/**
 * One folder per service under images/: its Dockerfile, its config files and its TypeScript handle.
 * An optional image.json widens the build context, for images that ship repository code:
 *   { "context": "../..", "include": ["sample-app", "package.json"] }
 */
export interface ImageSpec {
  name: string;
  dir: string;
  contextDir: string;
  dockerfile: string;
  /** Paths, relative to contextDir, sent to the engine and hashed. */
  files: string[];
  /** Tools staged into <dir>/.tools/ at build time; the hash covers their recipes, not their bytes. */
  tools: StageRequest[];
  onDemand: boolean;
  registries: Registry[];
  /** A lock file of Maven artefacts staged into <dir>/.build/maven/ before a build (src/core/images/maven.ts); the hash covers the lock. */
  maven?: string;
}

interface Manifest {
  context?: string;
  include?: string[];
  /** Go tools built by src/core/tools and staged into the folder's .tools/ before a build: `tool[:bin,bin…]`. */
  tools?: string[];
  /** Built when a stack or suite needs it, not by `refstack images build` without names (its tools take long to build cold). */
  onDemand?: boolean;
  /** Registries the build fetches from, configured from this machine (src/core/images/registries.ts). */
  registries?: Registry[];
  /** Maven artefacts the image ships: a lock file in the folder, fetched through the machine's Maven (src/core/images/maven.ts). */
  maven?: string;
}

/** Files of an image folder that are not part of the image: its TypeScript handle, tests and docs. */
const HANDLE_FILE = /\.(ts|md)$/;
const NEVER_SENT = /^(node_modules|\.git|reports|\.refstack|dist|\.tools|\.build)$/;

/**
 * Repository prefix of the built images (refstack/<name>:latest). REFSTACK_IMAGE_PREFIX gives a
 * second checkout on the same engine images of its own, so two work trees never rebuild each other's.
 */
export const IMAGE_PREFIX = process.env.REFSTACK_IMAGE_PREFIX || 'refstack';

export function imageRef(name: string): string {
  return `${IMAGE_PREFIX}/${name}:latest`;
}

export function listImages(servicesDir = SERVICES_DIR): ImageSpec[] {
  return listImageNames(servicesDir).map((name) => loadImage(name, servicesDir));
}

export function loadImage(name: string, servicesDir = SERVICES_DIR): ImageSpec {
  const dir = join(servicesDir, name);
  if (!existsSync(join(dir, 'Dockerfile'))) {
    const known = listImageNames(servicesDir).join(', ');
    throw new Error(`no image named "${name}" (images/${name}/Dockerfile does not exist). Known images: ${known}`);
  }
  const manifestPath = join(dir, 'image.json');
  const manifest: Manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest) : {};
  const contextDir = resolve(dir, manifest.context ?? '.');
  const ownFolder = relative(contextDir, dir) || '.';
  const own = walk(contextDir, ownFolder).filter((f) => !HANDLE_FILE.test(f));
  const included = (manifest.include ?? []).flatMap((r) => walk(contextDir, r));
  const files = [...new Set([...own, ...included])].sort();
  return { name, dir, contextDir, dockerfile: relative(contextDir, join(dir, 'Dockerfile')), files, tools: (manifest.tools ?? []).map(parseStageRequest), onDemand: manifest.onDemand ?? false, registries: manifest.registries ?? [], ...(manifest.maven ? { maven: manifest.maven } : {}) };
}

export function listImageNames(servicesDir = SERVICES_DIR): string[] {
  return readdirSync(servicesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(servicesDir, e.name, 'Dockerfile')))
    .map((e) => e.name)
    .sort();
}

/** Content hash of what goes into the image: file names, modes and bytes, plus the base it builds FROM. */
export function contentHash(spec: ImageSpec, baseImageId: string): string {
  const hash = createHash('sha256');
  hash.update(`base:${baseImageId}\n`);
  // A staged tool is named by its cache directory, which carries its recipe hash (module, version, flags, Go).
  for (const t of spec.tools) hash.update(`tool:${basename(toolDir(t.tool))}:${t.binaries?.join(',') ?? '*'}\n`);
  for (const file of spec.files) {
    const full = join(spec.contextDir, file);
    hash.update(`${file}\0${statSync(full).mode & 0o111 ? 'x' : '-'}\0`);
    hash.update(readFileSync(full));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function walk(contextDir: string, rel: string): string[] {
  const full = join(contextDir, rel);
  if (!existsSync(full)) throw new Error(`image.json includes ${rel}, which does not exist under ${contextDir}`);
  const normalised = relative(contextDir, full);
  if (statSync(full).isFile()) return [normalised];
  return readdirSync(full)
    .filter((entry) => !NEVER_SENT.test(entry))
    .flatMap((entry) => walk(contextDir, join(normalised, entry)));
}
