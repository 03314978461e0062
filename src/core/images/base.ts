import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, withTimeout } from '../docker/engine.ts';
import { detail, elapsed, step } from '../progress.ts';

export const UPSTREAM_BASE = 'debian:bookworm-slim';
export const LOCAL_BASE = 'refstack/debian-base:bookworm';

export interface ResolvedBase {
  ref: string;
  id: string;
  origin: 'override' | 'local' | 'pulled' | 'debootstrap';
}

/**
 * The image every service image builds FROM: REFSTACK_BASE_IMAGE when set, else debian:bookworm-slim
 * (present or pullable), else a minbase bookworm made here with debootstrap and `docker import`.
 */
export async function resolveBase(options: { create?: boolean } = {}): Promise<ResolvedBase> {
  const override = process.env.REFSTACK_BASE_IMAGE;
  if (override) {
    const id = await imageId(override);
    if (!id) throw new Error(`REFSTACK_BASE_IMAGE=${override} is not present in the engine: build or pull it first`);
    return { ref: override, id, origin: 'override' };
  }
  for (const [ref, origin] of [[UPSTREAM_BASE, 'local'], [LOCAL_BASE, 'local']] as const) {
    const id = await imageId(ref);
    if (id) return { ref, id, origin };
  }
  if (options.create === false) {
    throw new Error(`no base image: neither ${UPSTREAM_BASE} nor ${LOCAL_BASE} is present`);
  }
  if (await tryPull(UPSTREAM_BASE)) {
    const id = await imageId(UPSTREAM_BASE);
    if (id) return { ref: UPSTREAM_BASE, id, origin: 'pulled' };
  }
  await debootstrapBase();
  const id = await imageId(LOCAL_BASE);
  if (!id) throw new Error(`docker import did not produce ${LOCAL_BASE}`);
  return { ref: LOCAL_BASE, id, origin: 'debootstrap' };
}

async function imageId(ref: string): Promise<string | undefined> {
  try {
    return (await docker().getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

async function tryPull(ref: string): Promise<boolean> {
  step(`pulling ${ref}`);
  try {
    const stream = await withTimeout(docker().pull(ref), 30_000, `pull of ${ref} did not start`);
    await withTimeout(
      new Promise<void>((resolve, reject) =>
        docker().modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      ),
      300_000,
      `pull of ${ref} did not finish`,
    );
    return true;
  } catch (error) {
    detail(`cannot pull ${ref} (${firstLine((error as Error).message)}); building the base locally with debootstrap`);
    return false;
  }
}

/**
 * The Debian mirror apt already uses on this host, so debootstrap reaches what apt reaches
 * (REFSTACK_DEBIAN_MIRROR overrides). The repository names no mirror of its own.
 */
export function debianMirror(): string {
  if (process.env.REFSTACK_DEBIAN_MIRROR) return process.env.REFSTACK_DEBIAN_MIRROR;
  const sources = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f))];
  for (const file of sources) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822?.[1]) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(text);
    if (oneLine?.[1]) return oneLine[1];
  }
  throw new Error('no Debian mirror found in /etc/apt/sources.list(.d): debootstrap needs one.\n  fix: REFSTACK_DEBIAN_MIRROR=<your Debian mirror URL> npx refstack images build');
}

export async function debootstrapBase(tag = LOCAL_BASE): Promise<void> {
  if (!hasCommand('debootstrap')) {
    throw new Error(
      `cannot pull ${UPSTREAM_BASE} and debootstrap is not installed.\n` +
        `  fix: apt-get install -y debootstrap   (or make ${UPSTREAM_BASE} available: docker pull ${UPSTREAM_BASE})`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`debootstrap needs root to build the base image.\n  fix: sudo npx refstack images build`);
  }
  const mirror = debianMirror();
  const dir = mkdtempSync(join(tmpdir(), 'refstack-rootfs-'));
  const started = performance.now();
  step(`debootstrap --variant=minbase bookworm from ${mirror} (about 30 s to a few minutes)`);
  try {
    await run('debootstrap', ['--variant=minbase', 'bookworm', dir, mirror]);
    // Same apt behaviour as the official slim image: no docs or recommends, clean lists.
    execFileSync('sh', ['-c', `rm -rf ${dir}/var/cache/apt/archives/*.deb ${dir}/var/lib/apt/lists/*`]);
    step(`docker import ${tag}`);
    await run('sh', ['-c', `tar -C ${dir} -c . | docker import --change 'CMD ["/bin/bash"]' --change 'LABEL org.refstack.base=debootstrap' - ${tag}`]);
    detail(`base image ready in ${elapsed(started)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const phases = new Set<string>();
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      for (const line of chunk.toString().split('\n')) {
        const word = /^I: (Retrieving|Validating|Extracting|Installing|Configuring|Base)/.exec(line)?.[1];
        if (word && !phases.has(word)) {
          phases.add(word);
          detail(line);
        }
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}:\n${tail}`))));
  });
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
