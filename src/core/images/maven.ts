import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Maven artefacts an image ships (image.json `"maven": "<lock file>"`), fetched on the host through this
 * machine's own Maven configuration (settings.xml mirrors, proxies, trust store) and staged into
 * `<image folder>/.build/maven/`, so the repository names no Maven host and no build turns TLS off.
 *
 * Lock file lines: `<install dir> <groupId:artifactId:version:type> <sha512|sha1> <hex sum>`; `#` starts a
 * comment. The build reads `.build/maven/placed` (`<install dir> <file>` per line) to put each file.
 */
export interface LockedArtefact {
  dir: string;
  coordinate: string;
  algorithm: 'sha512' | 'sha1';
  sum: string;
  /** The file name Maven's copy-dependencies writes: artifactId-version.type. */
  file: string;
}

/** The dependency plugin version used for staging (pinned, fetched through the machine's Maven like any plugin). */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const MVN_WITHIN_MS = 600_000;

export function parseLock(text: string, source = 'artifacts.lock'): LockedArtefact[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line, index) => {
      const [dir, coordinate, algorithm, sum] = line.split(/\s+/);
      const parts = coordinate?.split(':') ?? [];
      if (!dir || !coordinate || parts.length !== 4 || (algorithm !== 'sha512' && algorithm !== 'sha1') || !sum || !/^[0-9a-f]+$/.test(sum)) {
        throw new Error(`${source}: entry ${index + 1} must be "<dir> <group:artifact:version:type> <sha512|sha1> <hex sum>", got "${line}"`);
      }
      const [, artifact, version, type] = parts;
      return { dir, coordinate, algorithm, sum, file: `${artifact}-${version}.${type}` };
    });
}

export function digest(path: string, algorithm: 'sha512' | 'sha1'): string {
  return createHash(algorithm).update(readFileSync(path)).digest('hex');
}

/** A throwaway POM declaring the artefacts as direct dependencies, for one copy-dependencies run. */
export function stagingPom(artefacts: readonly LockedArtefact[]): string {
  const deps = artefacts.map((a) => {
    const [group, artifact, version, type] = a.coordinate.split(':');
    return `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version><type>${type}</type></dependency>`;
  });
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>',
    '  <groupId>refstack.local</groupId><artifactId>image-staging</artifactId><version>0</version><packaging>pom</packaging>',
    '  <dependencies>',
    ...deps,
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/**
 * Stages the lock's artefacts into `<imageDir>/.build/maven/` (only what is missing or does not match its
 * sum is fetched) and returns the staged files relative to the build context. Every file is checked
 * against the lock; a mismatch is an error naming the artefact, never a warning.
 */
export function stageMaven(lockName: string, imageDir: string, contextDir: string): string[] {
  const lockPath = join(imageDir, lockName);
  const artefacts = parseLock(readFileSync(lockPath, 'utf8'), lockPath);
  const out = join(imageDir, '.build', 'maven');
  mkdirSync(out, { recursive: true });
  const matches = (a: LockedArtefact) => existsSync(join(out, a.file)) && digest(join(out, a.file), a.algorithm) === a.sum;
  const missing = artefacts.filter((a) => !matches(a));
  if (missing.length) fetchWithMaven(missing, out);
  for (const a of artefacts) {
    if (!existsSync(join(out, a.file))) throw new Error(`Maven did not produce ${a.file} for ${a.coordinate}`);
    const got = digest(join(out, a.file), a.algorithm);
    if (got !== a.sum) throw new Error(`${a.coordinate}: ${a.algorithm} ${got} does not match ${lockName} (${a.sum}); the artefact was not staged`);
  }
  writeFileSync(join(out, 'placed'), artefacts.map((a) => `${a.dir} ${a.file}`).join('\n') + '\n');
  return [...artefacts.map((a) => join(out, a.file)), join(out, 'placed')].map((f) => relative(contextDir, f));
}

/** `mvn copy-dependencies` with strict checksums (-C: a published checksum that does not match fails the fetch). */
export function fetchWithMaven(artefacts: readonly LockedArtefact[], outDir: string): void {
  const pom = join(outDir, 'staging-pom.xml');
  writeFileSync(pom, stagingPom(artefacts));
  try {
    execFileSync('mvn', ['-B', '-q', '-C', '-f', pom, `${DEPENDENCY_PLUGIN}:copy-dependencies`, '-DexcludeTransitive=true', `-DoutputDirectory=${outDir}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: MVN_WITHIN_MS,
      encoding: 'utf8',
    });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('staging Maven artefacts needs `mvn` on this machine.\n  fix: apt-get install maven   (it uses your ~/.m2/settings.xml for mirrors and proxies)');
    throw new Error(`mvn could not fetch ${artefacts.map((a) => a.coordinate).join(', ')}:\n${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`.slice(0, 4000));
  }
}
