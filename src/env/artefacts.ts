import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { renderMonitoringArtefacts } from '../../monitoring/generate.ts';
import { ROOT } from '../core/paths.ts';
import { PROFILE_NAMES } from '../core/profiles.ts';
import { renderCompose } from '../stack/compose.ts';

/** Folders whose every file is generated: a file there that is no longer rendered is stale too. */
const GENERATED_DIRS = ['compose/generated', 'monitoring/generated'];

/**
 * Every committed artefact rendered from the one stack: compose files and the configuration they mount
 * (both profiles), the monitoring rules, promtool tests, dashboards and runbooks. `refstack generate`
 * writes them; a unit test fails when the committed ones are stale.
 */
export function renderArtefacts(): Map<string, string> {
  const files = new Map<string, string>();
  for (const p of PROFILE_NAMES) for (const [path, content] of renderCompose(p)) files.set(path, content);
  for (const [path, content] of renderMonitoringArtefacts()) files.set(path, content);
  return files;
}

export interface Staleness {
  stale: string[];
  missing: string[];
  extra: string[];
}

export function checkArtefacts(): Staleness {
  const wanted = renderArtefacts();
  const result: Staleness = { stale: [], missing: [], extra: [] };
  for (const [path, content] of wanted) {
    const full = join(ROOT, path);
    if (!existsSync(full)) result.missing.push(path);
    else if (readFileSync(full, 'utf8') !== content) result.stale.push(path);
  }
  for (const dir of GENERATED_DIRS) for (const file of listFiles(join(ROOT, dir))) if (!wanted.has(relative(ROOT, file))) result.extra.push(relative(ROOT, file));
  return result;
}

export function writeArtefacts(): number {
  for (const dir of GENERATED_DIRS) rmSync(join(ROOT, dir), { recursive: true, force: true });
  const files = renderArtefacts();
  for (const [path, content] of files) {
    mkdirSync(dirname(join(ROOT, path)), { recursive: true });
    writeFileSync(join(ROOT, path), content);
  }
  return files.size;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}
