import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { docker } from '../docker/engine.ts';
import { stageTools } from '../tools/stage.ts';
import { registryArgs } from './registries.ts';
import { stageMaven } from './maven.ts';
import { LABEL } from '../docker/labels.ts';
import { detail, elapsed, step } from '../progress.ts';
import { resolveBase, type ResolvedBase } from './base.ts';
import { contentHash, imageRef, listImages, loadImage, type ImageSpec } from './catalog.ts';

export interface ImageState {
  name: string;
  /** Built only when something needs it (image.json `onDemand`), not by a plain `images build`. */
  onDemand: boolean;
  ref: string;
  wantedHash: string;
  builtHash?: string;
  upToDate: boolean;
}

export async function imageStates(base?: ResolvedBase): Promise<ImageState[]> {
  const resolved = base ?? (await resolveBase());
  return Promise.all(listImages().map((spec) => stateOf(spec, resolved)));
}

async function stateOf(spec: ImageSpec, base: ResolvedBase): Promise<ImageState> {
  const ref = imageRef(spec.name);
  const wantedHash = contentHash(spec, base.id);
  let builtHash: string | undefined;
  try {
    builtHash = (await docker().getImage(ref).inspect()).Config?.Labels?.[LABEL.contentHash];
  } catch {
    builtHash = undefined;
  }
  return { name: spec.name, onDemand: spec.onDemand, ref, wantedHash, builtHash, upToDate: builtHash === wantedHash };
}

export interface BuildOptions {
  names?: string[];
  force?: boolean;
  /** Print every build output line instead of only the Dockerfile steps. */
  verbose?: boolean;
  /** Ignore the layer cache (e.g. to pick up Debian security updates); implies force. */
  noCache?: boolean;
}

/** Builds the named images (all when none are named), skipping those whose folder did not change. */
export async function buildImages(options: BuildOptions = {}): Promise<ImageState[]> {
  const base = await resolveBase();
  const specs = options.names?.length ? options.names.map((name) => loadImage(name)) : listImages().filter((s) => !s.onDemand);
  step(`images FROM ${base.ref} (${base.origin})`);
  const results: ImageState[] = [];
  for (const [index, spec] of specs.entries()) {
    const state = await stateOf(spec, base);
    const label = `[${index + 1}/${specs.length}] ${state.ref}`;
    if (state.upToDate && !options.force && !options.noCache) {
      detail(`${label} up to date (${state.wantedHash})`);
      results.push(state);
      continue;
    }
    const started = performance.now();
    step(`${label} building (${state.builtHash ? 'folder changed' : 'not built yet'})`);
    await buildOne(spec, base, state.wantedHash, { verbose: options.verbose ?? false, noCache: options.noCache ?? false });
    detail(`${label} built in ${elapsed(started)}`);
    results.push({ ...state, builtHash: state.wantedHash, upToDate: true });
  }
  return results;
}

/** Builds only what is missing or stale (every image but the on-demand ones, when none is named); quiet when everything is up to date. */
export async function ensureImages(names?: string[]): Promise<void> {
  const base = await resolveBase();
  const states = await imageStates(base);
  const stale = states.filter((s) => !s.upToDate && (names ? names.includes(s.name) : !s.onDemand)).map((s) => s.name);
  if (stale.length) await buildImages({ names: stale });
}

async function buildOne(spec: ImageSpec, base: ResolvedBase, hash: string, options: { verbose: boolean; noCache: boolean }): Promise<void> {
  const { verbose } = options;
  const staged = spec.tools.length ? await stagedFiles(spec) : [];
  const network = registryArgs(spec.registries, spec.dir, spec.contextDir);
  if (spec.maven) detail(`  staging Maven artefacts of ${spec.maven} into .build/maven/ (through this machine's Maven when not staged yet)`);
  const maven = spec.maven ? stageMaven(spec.maven, spec.dir, spec.contextDir) : [];
  const stream = await docker().buildImage(
    { context: spec.contextDir, src: [...spec.files, ...staged, ...maven, ...network.files] },
    {
      t: imageRef(spec.name),
      dockerfile: spec.dockerfile,
      buildargs: { BASE_IMAGE: base.ref, ...network.buildargs },
      labels: { [LABEL.contentHash]: hash, 'org.refstack.image': spec.name },
      rm: true,
      forcerm: true,
      nocache: options.noCache,
    },
  );
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker().modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string }>) => {
        const failed = err?.message ?? output.find((o) => o.error)?.error;
        if (failed) reject(new Error(`building ${spec.name} failed: ${failed}\n--- last build output ---\n${tail.join('')}`));
        else resolve();
      },
      (event: { stream?: string; error?: string }) => {
        const line = event.stream ?? event.error ?? '';
        if (!line) return;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (verbose) process.stderr.write(`    ${line}`);
        else if (/^Step \d+\/\d+ :/.test(line)) detail(`  ${line.trim().slice(0, 140)}`);
      },
    );
  });
}

/** Builds (or finds in the cache) the image's Go tools and stages them into its .tools/ folder; returns the context paths. */
async function stagedFiles(spec: ImageSpec): Promise<string[]> {
  const dir = join(spec.dir, '.tools');
  detail(`  staging ${spec.tools.map((t) => t.tool).join(', ')} into ${relative(spec.contextDir, dir)}/ (built from the Go module proxy when not cached)`);
  await stageTools(dir, spec.tools);
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [relative(spec.contextDir, join(d, e.name))]));
  return walk(dir);
}
