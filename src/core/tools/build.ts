// ensureTool(name): build a catalog tool from the Go module proxy into a content-addressed cache
// directory, or return the cached one at no cost. Builds go into a temp directory beside the cache and are
// renamed into place when complete; a lock file keeps two processes from doing the same build twice, and
// a process that dies mid-build leaves only a temp directory that the next build removes.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { CATALOG, getTool, type ToolSpec } from './catalog.ts';
import {
  BUILD_GOFLAGS,
  failureHints,
  fillLdflags,
  goDefaultBinaryName,
  inheritedReplaceLines,
  ldflagsFor,
  parseGodebug,
  recipeHash,
  recipeInputs,
  renderScratchGoMod,
  toolDirName,
  type GoEnv,
} from './recipe.ts';

export interface ToolHandle {
  name: string;
  version: string;
  /** The tool's cache directory: bin/, share/ (module files), module/ (scratch go.mod/go.sum), tool.json. */
  dir: string;
  /** Absolute path of one of the tool's binaries. */
  bin(name: string): string;
  manifest: ToolManifest;
}

export interface ToolManifest {
  name: string;
  version: string;
  module: string;
  kind: string;
  hash: string;
  inputs: Record<string, unknown>;
  ldflags: string;
  binaries: string[];
  moduleTime: string;
  builtAt: string;
  buildSeconds: number;
  phases: Array<{ phase: string; seconds: number }>;
  host: string;
}

export interface EnsureOptions {
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
  /** Seconds between "still building" lines (default 30, env REFSTACK_TOOLS_HEARTBEAT_SECONDS). */
  heartbeatSeconds?: number;
  /** Stream every line of go's output (default: env REFSTACK_TOOLS_VERBOSE=1). */
  verbose?: boolean;
  /** Link Docker CLI plugins into ${DOCKER_CONFIG:-~/.docker}/cli-plugins (default true). */
  installPlugins?: boolean;
  /** Rebuild even when cached. */
  force?: boolean;
  /** Catalog to use (tests). */
  catalog?: readonly ToolSpec[];
}

export class ToolBuildError extends Error {
  constructor(
    message: string,
    readonly tool: string,
    readonly logPath: string,
    readonly tail: string[],
  ) {
    super(message);
    this.name = 'ToolBuildError';
  }
}

// ---------------------------------------------------------------------------------------------- paths

/** `${REFSTACK_TOOLS_CACHE}` or `${XDG_CACHE_HOME:-$HOME/.cache}/refstack/tools`. */
export function toolsCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REFSTACK_TOOLS_CACHE) return env.REFSTACK_TOOLS_CACHE;
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'refstack', 'tools');
}

const GOOS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'windows', freebsd: 'freebsd' };
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

let goCache: (GoEnv & { go: string }) | undefined;

/** The `go` on PATH and its version, read from GOROOT/VERSION (no process) when possible. */
export function detectGo(): GoEnv & { go: string } {
  if (goCache) return goCache;
  let go = '';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'go');
    if (dir && existsSync(candidate)) {
      go = candidate;
      break;
    }
  }
  if (!go) throw new Error('Go is not on PATH: install Go (build-recipes.md uses Go 1.26) and retry');
  let goVersion = '';
  try {
    const goroot = dirname(dirname(realpathSync(go)));
    goVersion = /^(go\d+\.\d+(?:\.\d+)?\S*)/.exec(readFileSync(join(goroot, 'VERSION'), 'utf8'))?.[1] ?? '';
  } catch {
    // packaged Go without a VERSION file: ask go itself
  }
  if (!goVersion) {
    const r = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' });
    goVersion = r.stdout.trim();
    if (r.status !== 0 || !goVersion) throw new Error(`could not read the Go version from ${go}: ${r.stderr}`);
  }
  const goos = GOOS[process.platform];
  const goarch = GOARCH[process.arch];
  if (!goos || !goarch) throw new Error(`unsupported platform ${process.platform}/${process.arch}`);
  goCache = { go, goVersion, goos, goarch };
  return goCache;
}

/** Directory a tool would have, whether or not it is built. */
export function toolDir(name: string, catalog: readonly ToolSpec[] = CATALOG): string {
  return join(toolsCacheRoot(), toolDirName(getTool(name, catalog), detectGo()));
}

// ------------------------------------------------------------------------------------------- progress

function progress(tool: ToolSpec, log: (line: string) => void) {
  const t0 = performance.now();
  const secs = (from: number): string => ((performance.now() - from) / 1000).toFixed(1);
  const prefix = `[tools ${tool.name} ${tool.version}]`;
  return {
    t0,
    line: (msg: string) => log(`${prefix} ${msg}`),
    total: () => Number(secs(t0)),
    secs,
  };
}

// --------------------------------------------------------------------------------------------- ensure

const inFlight = new Map<string, Promise<ToolHandle>>();

export async function ensureTool(name: string, opts: EnsureOptions = {}): Promise<ToolHandle> {
  const tool = getTool(name, opts.catalog ?? CATALOG);
  const go = detectGo();
  const root = toolsCacheRoot();
  const dir = join(root, toolDirName(tool, go));
  if (!opts.force) {
    const warm = readHandle(tool, dir);
    if (warm) {
      await maybeInstallPlugin(tool, warm, opts);
      return warm;
    }
  }
  const key = dir;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = buildLocked(tool, go, root, dir, opts).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  const handle = await pending;
  await maybeInstallPlugin(tool, handle, opts);
  return handle;
}

function readHandle(tool: ToolSpec, dir: string): ToolHandle | undefined {
  let manifest: ToolManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'tool.json'), 'utf8')) as ToolManifest;
  } catch {
    return undefined;
  }
  for (const b of tool.binaries) {
    try {
      if (!statSync(join(dir, 'bin', b.name)).isFile()) return undefined;
    } catch {
      return undefined;
    }
  }
  return makeHandle(tool, dir, manifest);
}

function makeHandle(tool: ToolSpec, dir: string, manifest: ToolManifest): ToolHandle {
  const names = new Set(tool.binaries.map((b) => b.name));
  return {
    name: tool.name,
    version: tool.version,
    dir,
    manifest,
    bin(binary: string): string {
      if (!names.has(binary)) throw new Error(`${tool.name} has no binary ${JSON.stringify(binary)}; it yields ${[...names].join(', ')}`);
      return join(dir, 'bin', binary);
    },
  };
}

// --------------------------------------------------------------------------------------------- locking

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

async function tryLock(lockPath: string): Promise<boolean> {
  try {
    const fh = await fs.open(lockPath, 'wx');
    const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    await fh.writeFile(JSON.stringify(info));
    await fh.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function readLock(lockPath: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await fs.readFile(lockPath, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

async function buildLocked(tool: ToolSpec, go: GoEnv & { go: string }, root: string, dir: string, opts: EnsureOptions): Promise<ToolHandle> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const heartbeat = (opts.heartbeatSeconds ?? Number(process.env.REFSTACK_TOOLS_HEARTBEAT_SECONDS ?? 30)) * 1000;
  await fs.mkdir(join(root, '.locks'), { recursive: true });
  const lockPath = join(root, '.locks', `${dir.slice(root.length + 1)}.lock`);
  let lastWaitNote = 0;
  const waitStart = performance.now();
  for (;;) {
    if (await tryLock(lockPath)) break;
    const holder = await readLock(lockPath);
    if (holder && holder.host === hostname() && !pidAlive(holder.pid)) {
      // Whoever held it died: its temp dir is swept below; take the lock over.
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (performance.now() - lastWaitNote >= heartbeat) {
      lastWaitNote = performance.now();
      log(`[tools ${tool.name} ${tool.version}] waiting for pid ${holder?.pid ?? '?'} which is building it (${((performance.now() - waitStart) / 1000).toFixed(0)} s)`);
    }
    await new Promise((r) => setTimeout(r, 500));
    const done = !opts.force ? readHandle(tool, dir) : undefined;
    if (done) return done;
  }
  try {
    if (!opts.force) {
      const done = readHandle(tool, dir);
      if (done) return done; // built by the process we waited for
    }
    return await build(tool, go, root, dir, opts, log, heartbeat);
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

async function sweepStaleTemps(tmpRoot: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await fs.readdir(tmpRoot);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /-pid(\d+)-/.exec(e);
    if (m && !pidAlive(Number(m[1]))) await rmWritable(join(tmpRoot, e));
  }
}

/** rm -rf that also removes module-cache copies (read-only directories). */
async function rmWritable(path: string): Promise<void> {
  try {
    await fs.rm(path, { recursive: true, force: true });
  } catch {
    await makeWritable(path);
    await fs.rm(path, { recursive: true, force: true });
  }
}

async function makeWritable(path: string): Promise<void> {
  const st = await fs.lstat(path);
  if (st.isSymbolicLink()) return;
  await fs.chmod(path, st.mode | 0o200 | (st.isDirectory() ? 0o100 : 0));
  if (st.isDirectory()) for (const e of await fs.readdir(path)) await makeWritable(join(path, e));
}

// ---------------------------------------------------------------------------------------------- build

interface RunResult {
  stdout: string;
}

interface Runner {
  run(phase: string, args: string[], opts?: { cwd?: string; env?: Record<string, string>; stdout?: boolean }): Promise<RunResult>;
  tail(): string[];
  note(line: string): void;
  close(): Promise<void>;
}

function makeRunner(go: string, baseEnv: NodeJS.ProcessEnv, logPath: string, p: ReturnType<typeof progress>, heartbeat: number, verbose: boolean): Runner {
  const logStream = createWriteStream(logPath, { flags: 'a' });
  const ring: string[] = [];
  const remember = (line: string): void => {
    ring.push(line);
    if (ring.length > 200) ring.shift();
  };
  return {
    tail: () => ring.slice(),
    note: remember,
    close: () => new Promise((r) => logStream.end(r)),
    run(phase, args, o = {}) {
      const cmd = `go ${args.join(' ')}`;
      logStream.write(`\n$ ${o.cwd ? `(cd ${o.cwd} && ` : ''}${cmd}${o.cwd ? ')' : ''}\n`);
      const started = performance.now();
      let packages = 0;
      let last = '';
      return new Promise<RunResult>((resolve, reject) => {
        const child = spawn(go, args, { cwd: o.cwd, env: { ...baseEnv, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        const onLines = (chunk: Buffer, isStdout: boolean): void => {
          const text = chunk.toString('utf8');
          logStream.write(text);
          if (isStdout && o.stdout) {
            stdout += text;
            return;
          }
          for (const line of text.split('\n')) {
            if (!line.trim()) continue;
            remember(line);
            last = line;
            if (!line.startsWith('go: ') && !line.startsWith('#')) packages++;
            if (verbose) p.line(`  ${line}`);
          }
        };
        child.stdout.on('data', (c: Buffer) => onLines(c, true));
        child.stderr.on('data', (c: Buffer) => onLines(c, false));
        const timer = setInterval(() => {
          const what = last.startsWith('go: downloading') ? last.slice(4) : last ? `${packages} packages so far, last ${last}` : 'no output yet';
          p.line(`  still ${phase} (${p.secs(started)} s): ${what}`);
        }, heartbeat);
        child.on('error', (e) => {
          clearInterval(timer);
          reject(e);
        });
        child.on('close', (code, signal) => {
          clearInterval(timer);
          // `go mod download -json` reports its errors inside the JSON on stdout.
          if (code !== 0 && o.stdout) for (const m of stdout.matchAll(/"Error": "((?:[^"\\]|\\.)*)"/g)) for (const l of (JSON.parse(`"${m[1]}"`) as string).split('\n')) remember(l);
          if (code === 0) resolve({ stdout });
          else reject(new Error(`${cmd} failed (${signal ? `signal ${signal}` : `exit ${code}`})`));
        });
      });
    },
  };
}

interface ModuleDownload {
  Path: string;
  Version: string;
  Dir?: string;
  GoMod?: string;
  Info?: string;
  Error?: string;
}

async function build(
  tool: ToolSpec,
  go: GoEnv & { go: string },
  root: string,
  dir: string,
  opts: EnsureOptions,
  log: (line: string) => void,
  heartbeat: number,
): Promise<ToolHandle> {
  const p = progress(tool, log);
  const hash = recipeHash(tool, go);
  const tmpRoot = join(root, '.tmp');
  const logsDir = join(root, 'logs');
  await fs.mkdir(tmpRoot, { recursive: true });
  await fs.mkdir(logsDir, { recursive: true });
  await sweepStaleTemps(tmpRoot);
  const tmp = join(tmpRoot, `${tool.name}-${hash}-pid${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await fs.mkdir(join(tmp, 'bin'), { recursive: true });
  const logPath = join(logsDir, `${dir.slice(root.length + 1)}.log`);
  await fs.writeFile(logPath, `# ${tool.name} ${tool.version} (${tool.kind}) ${new Date().toISOString()} ${go.goVersion}\n`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOFLAGS: BUILD_GOFLAGS,
    CGO_ENABLED: tool.cgo ? '1' : '0',
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
    GO111MODULE: 'on',
    GOOS: go.goos,
    GOARCH: go.goarch,
    GOEXPERIMENT: tool.goExperiment ?? '',
  };
  delete env.GOBIN;
  const verbose = opts.verbose ?? process.env.REFSTACK_TOOLS_VERBOSE === '1';
  const runner = makeRunner(go.go, env, logPath, p, heartbeat, verbose);
  const phases: Array<{ phase: string; seconds: number }> = [];
  const phase = async <T>(name: string, what: string, fn: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    p.line(`${name}: ${what} (at ${p.secs(p.t0)} s)`);
    const out = await fn();
    const seconds = Number(p.secs(s));
    phases.push({ phase: name, seconds });
    p.line(`${name} done in ${seconds.toFixed(1)} s`);
    return out;
  };

  p.line(`cold build into ${dir} (${tool.kind}, ${go.goVersion}, log ${logPath})`);
  try {
    const mods = [{ module: tool.module, version: tool.version }, ...(tool.extraModules ?? [])];
    const downloads = await phase('download', `go mod download ${mods.map((m) => `${m.module}@${m.version}`).join(' ')}`, async () => {
      const r = await runner.run('downloading', ['mod', 'download', '-json', ...mods.map((m) => `${m.module}@${m.version}`)], { stdout: true, cwd: tmp });
      return parseDownloads(r.stdout);
    });
    const main = downloads.find((d) => d.Path === tool.module);
    if (!main?.Dir || !main.GoMod || !main.Info) throw new Error(`go mod download gave no directory for ${tool.module}@${tool.version}`);
    const info = JSON.parse(await fs.readFile(main.Info, 'utf8')) as { Time?: string };
    const moduleTime = info.Time ?? '1970-01-01T00:00:00Z';
    const ldflags = fillLdflags(ldflagsFor(tool), { buildDate: moduleTime });
    const buildFlags = ['-v', `-ldflags=${ldflags}`, ...(tool.tags?.length ? [`-tags=${tool.tags.join(',')}`] : [])];

    if (tool.kind === 'go-install') {
      await phase('build', `go install ${tool.binaries.length} package(s)`, async () => {
        await runner.run('compiling', ['install', ...buildFlags, ...tool.binaries.map((b) => `${b.pkg}@${tool.version}`)], { env: { GOBIN: join(tmp, 'bin') }, cwd: tmp });
        for (const b of tool.binaries) {
          const produced = goDefaultBinaryName(b.pkg);
          if (produced !== b.name) await fs.rename(join(tmp, 'bin', produced), join(tmp, 'bin', b.name));
        }
      });
    } else if (tool.kind === 'scratch-module') {
      const src = join(tmp, 'src');
      await fs.mkdir(src);
      const upstream = await fs.readFile(main.GoMod, 'utf8');
      const replaces = tool.inheritReplaces ? inheritedReplaceLines(upstream, tool.inheritReplaces, tool.version) : [];
      const goMod = renderScratchGoMod({
        module: `refstack.local/tools/${tool.name}`,
        goVersion: go.goVersion,
        require: mods,
        replaces,
        godebug: parseGodebug(upstream),
      });
      await fs.writeFile(join(src, 'go.mod'), goMod);
      const ownerVersion = (pkg: string): string => {
        const owner = mods.filter((m) => pkg === m.module || pkg.startsWith(`${m.module}/`)).sort((a, b) => b.module.length - a.module.length)[0];
        return owner?.version ?? tool.version;
      };
      await phase('resolve', `go get -tool ${tool.binaries.length} package(s)${replaces.length ? `, ${replaces.length} inherited replace lines` : ''}`, () =>
        runner.run('resolving modules', ['get', '-tool', ...tool.binaries.map((b) => `${b.pkg}@${ownerVersion(b.pkg)}`)], { cwd: src }),
      );
      await phase('build', `go build ${tool.binaries.map((b) => b.name).join(' ')}`, async () => {
        await runner.run('compiling', ['build', ...buildFlags, '-o', `${join(tmp, 'bin')}/`, ...tool.binaries.map((b) => b.pkg)], { cwd: src });
        for (const b of tool.binaries) {
          const produced = goDefaultBinaryName(b.pkg);
          if (produced !== b.name) await fs.rename(join(tmp, 'bin', produced), join(tmp, 'bin', b.name));
        }
      });
      await fs.mkdir(join(tmp, 'module'));
      for (const f of ['go.mod', 'go.sum']) await fs.copyFile(join(src, f), join(tmp, 'module', f));
      await rmWritable(src);
    } else {
      const src = join(tmp, 'src');
      await phase('copy', `copy ${tool.module}@${tool.version} out of the module cache`, async () => {
        await fs.cp(main.Dir!, src, { recursive: true });
        await makeWritable(src);
      });
      await phase('build', `go build ${tool.binaries.map((b) => b.name).join(' ')} inside the module`, async () => {
        for (const b of tool.binaries) {
          await runner.run(`compiling ${b.name}`, ['build', ...buildFlags, '-o', join(tmp, 'bin', b.name), b.pkg], { cwd: src });
        }
      });
      await rmWritable(src);
    }

    for (const f of tool.files ?? []) {
      await fs.mkdir(dirname(join(tmp, f.to)), { recursive: true });
      await fs.cp(join(main.Dir, f.from), join(tmp, f.to), { recursive: true });
      await makeWritable(join(tmp, f.to));
    }

    if (tool.smoke) {
      const smoke = tool.smoke;
      await phase('check', `${smoke.bin} ${smoke.args.join(' ')} mentions ${smoke.expect}`, async () => {
        const r = spawnSync(join(tmp, 'bin', smoke.bin), smoke.args, { encoding: 'utf8', timeout: 30_000 });
        const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
        await fs.appendFile(logPath, `\n$ ${smoke.bin} ${smoke.args.join(' ')}\n${out}`);
        if (!out.includes(smoke.expect)) {
          for (const l of out.split('\n').slice(-10)) if (l.trim()) runner.note(l);
          throw new Error(`${smoke.bin} ${smoke.args.join(' ')} did not print ${JSON.stringify(smoke.expect)}: ${out.trim().split('\n').slice(0, 5).join(' | ') || r.error?.message}`);
        }
      });
    }

    const manifest: ToolManifest = {
      name: tool.name,
      version: tool.version,
      module: tool.module,
      kind: tool.kind,
      hash,
      inputs: recipeInputs(tool, go),
      ldflags,
      binaries: tool.binaries.map((b) => b.name),
      moduleTime,
      builtAt: new Date().toISOString(),
      buildSeconds: p.total(),
      phases,
      host: hostname(),
    };
    await fs.writeFile(join(tmp, 'tool.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (opts.force) await rmWritable(dir);
    try {
      await fs.rename(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      await rmWritable(tmp); // someone else finished the same build first: theirs is as good
    }
    await runner.close();
    p.line(`built ${tool.binaries.map((b) => b.name).join(', ')} in ${p.total().toFixed(1)} s → ${dir}`);
    const handle = readHandle(tool, dir);
    if (!handle) throw new Error(`${dir} is incomplete after the build`);
    return handle;
  } catch (e) {
    await runner.close();
    await rmWritable(tmp).catch(() => undefined);
    const tail = runner.tail().slice(-25);
    const output = await fs.readFile(logPath, 'utf8').catch(() => '');
    p.line(`FAILED after ${p.total().toFixed(1)} s: ${(e as Error).message}`);
    if (tail.length) {
      p.line('last lines of the go output:');
      for (const l of tail) log(`    ${l}`);
    }
    p.line('what to do next:');
    for (const h of failureHints(output, logPath)) log(`    - ${h}`);
    throw new ToolBuildError(`${tool.name} ${tool.version}: ${(e as Error).message}`, tool.name, logPath, tail);
  }
}

function parseDownloads(stdout: string): ModuleDownload[] {
  // `go mod download -json` prints a stream of JSON objects, one per module.
  const out: ModuleDownload[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < stdout.length; i++) {
    const c = stdout[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(stdout.slice(start, i + 1)) as ModuleDownload);
  }
  const failed = out.filter((d) => d.Error);
  if (failed.length) throw new Error(failed.map((d) => `${d.Path}@${d.Version}: ${d.Error}`).join('; '));
  return out;
}

// ----------------------------------------------------------------------------------- Docker CLI plugin

/** Where the Docker CLI looks for user plugins. */
export function dockerPluginDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'cli-plugins');
}

async function maybeInstallPlugin(tool: ToolSpec, handle: ToolHandle, opts: EnsureOptions): Promise<void> {
  if (!tool.dockerCliPlugin || opts.installPlugins === false) return;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const target = handle.bin(tool.dockerCliPlugin);
  const link = join(dockerPluginDir(), tool.dockerCliPlugin);
  let current: string | undefined;
  try {
    current = await fs.readlink(link);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EINVAL') {
      // A regular file someone installed: not ours to replace.
      log(`[tools ${tool.name}] ${link} is a file not made by refstack: left as it is (${target} is the refstack build)`);
      return;
    }
  }
  if (current === target) return;
  if (current !== undefined && !current.startsWith(toolsCacheRoot())) {
    log(`[tools ${tool.name}] ${link} links to ${current}, not a refstack build: left as it is`);
    return;
  }
  await fs.mkdir(dirname(link), { recursive: true });
  const tmpLink = `${link}.refstack-${process.pid}`;
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(target, tmpLink);
  await fs.rename(tmpLink, link);
  log(`[tools ${tool.name}] installed the Docker CLI plugin: ${link} → ${target}`);
}
