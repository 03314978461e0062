import { statfsSync } from 'node:fs';
import { engineInfo } from '../core/docker/engine.ts';
import { imageStates } from '../core/images/build.ts';
import { resolveBase } from '../core/images/base.ts';
import { ROOT } from '../core/paths.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** The exact command that fixes a failed check. */
  fix?: string;
}

export const MIN_FREE_DISK_GIB = 10;

export const START_ENGINE_FIX =
  'npm run setup   (Debian, as root: installs docker.io and starts dockerd; elsewhere start Docker Desktop or `sudo systemctl start docker`)';

export async function engineCheck(): Promise<Check> {
  const engine = await engineInfo();
  return engine.reachable
    ? { name: 'docker engine', ok: true, detail: `Docker ${engine.version} (${engine.storageDriver})` }
    : {
        name: 'docker engine',
        ok: false,
        detail: `not reachable at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}: ${engine.error}`,
        fix: START_ENGINE_FIX,
      };
}

export function nodeCheck(version = process.versions.node): Check {
  const major = Number(version.split('.')[0]);
  return major >= 20
    ? { name: 'node', ok: true, detail: `v${version}` }
    : { name: 'node', ok: false, detail: `v${version}; refstack needs Node 20 or later`, fix: 'install Node 20 LTS (e.g. `nvm install 20`)' };
}

export function diskCheck(path = ROOT): Check {
  const stats = statfsSync(path);
  const freeGiB = (stats.bavail * stats.bsize) / 2 ** 30;
  return freeGiB >= MIN_FREE_DISK_GIB
    ? { name: 'free disk', ok: true, detail: `${freeGiB.toFixed(1)} GiB free` }
    : {
        name: 'free disk',
        ok: false,
        detail: `${freeGiB.toFixed(1)} GiB free; images and volumes need ${MIN_FREE_DISK_GIB} GiB`,
        fix: 'docker system prune --volumes   (or free space on this disk)',
      };
}

async function imagesCheck(): Promise<Check> {
  try {
    const states = await imageStates(await resolveBase({ create: false }));
    const missing = states.filter((s) => !s.upToDate && !s.onDemand);
    return missing.length === 0
      ? { name: 'images', ok: true, detail: `${states.filter((s) => s.upToDate).length} built and up to date: ${states.filter((s) => s.upToDate).map((s) => s.name).join(', ')}${states.some((s) => s.onDemand && !s.upToDate) ? `; built when needed: ${states.filter((s) => s.onDemand && !s.upToDate).map((s) => s.name).join(', ')}` : ''}` }
      : {
          name: 'images',
          ok: false,
          detail: `${missing.map((s) => `${s.name} (${s.builtHash ? 'stale' : 'not built'})`).join(', ')}`,
          fix: `npx refstack images build ${missing.map((s) => s.name).join(' ')}`,
        };
  } catch (error) {
    return { name: 'images', ok: false, detail: (error as Error).message, fix: 'npx refstack images build' };
  }
}

export async function runDoctor(): Promise<Check[]> {
  const engine = await engineCheck();
  const checks = [engine, nodeCheck(), diskCheck()];
  checks.push(
    engine.ok ? await imagesCheck() : { name: 'images', ok: false, detail: 'unknown: the docker engine is not reachable', fix: engine.fix },
  );
  return checks;
}

export function formatChecks(checks: Check[]): string {
  return checks
    .map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(14)} ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`)
    .join('\n');
}
