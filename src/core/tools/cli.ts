// node --import tsx src/core/tools/cli.ts build <name…|all> [--force] | list [--json] | path <name> [binary] | stage <dir> <tool[:bins]>…
// Progress goes to stderr; stdout carries only the answer (paths, JSON), so `$(… path kwok)` works.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CATALOG, getTool, validateCatalog } from './catalog.ts';
import { ensureTool, toolDir, toolsCacheRoot, ToolBuildError, type ToolManifest } from './build.ts';
import { parseStageRequest, stageTools } from './stage.ts';
import { writeKubeconformSchemas } from './kubeconform-schemas.ts';

const USAGE = `usage: node --import tsx src/core/tools/cli.ts <command>
  build <name…|all> [--force]   build (or find cached) tools; progress on stderr, one "name dir" line per tool on stdout
  list [--json]                 the catalog: version, recipe kind, binaries, cached or not
  path <name> [binary]          the tool's directory (or one binary's path), building it first when needed
  stage <dir> <tool[:bin,…]>…   fill a build context folder: <dir>/bin/*, <dir>/share/<tool>/, <dir>/tools.json
  prune [--dry-run]             remove cached builds that no catalog recipe (at this Go version) names any more
  kubeconform-schemas <openapi-v2.json> <out-dir> <k8s-version>
                                kubeconform's local schema layout from an API server's /openapi/v2
cache: ${toolsCacheRoot()}`;

function cached(name: string): ToolManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(toolDir(name), 'tool.json'), 'utf8')) as ToolManifest;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const problems = validateCatalog(CATALOG);
  if (problems.length) {
    process.stderr.write(`the tool catalog is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 2;
  }
  const [cmd, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const args = rest.filter((a) => !a.startsWith('--'));
  switch (cmd) {
    case 'build': {
      const names = args.length === 1 && args[0] === 'all' ? CATALOG.map((t) => t.name) : args;
      if (names.length === 0) break;
      names.forEach((n) => getTool(n));
      let failed = 0;
      // One at a time: a 2-core machine gains nothing from parallel Go builds, and loses memory.
      for (const name of names) {
        try {
          const t0 = performance.now();
          const h = await ensureTool(name, { force: flags.has('--force') });
          process.stdout.write(`${name}\t${h.dir}\t${((performance.now() - t0) / 1000).toFixed(3)}s\n`);
        } catch (e) {
          failed++;
          if (!(e instanceof ToolBuildError)) process.stderr.write(`${name}: ${(e as Error).stack ?? e}\n`);
        }
      }
      return failed ? 1 : 0;
    }
    case 'list': {
      const rows = CATALOG.map((t) => {
        const m = cached(t.name);
        return {
          name: t.name,
          version: t.version,
          kind: t.kind,
          module: t.module,
          binaries: t.binaries.map((b) => b.name),
          dir: toolDir(t.name),
          cached: Boolean(m),
          buildSeconds: m?.buildSeconds,
          notes: t.notes,
        };
      });
      if (flags.has('--json')) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return 0;
      }
      for (const r of rows) {
        process.stdout.write(
          `${r.name.padEnd(15)} ${r.version.padEnd(9)} ${r.kind.padEnd(15)} ${(r.cached ? `cached (${r.buildSeconds} s cold)` : 'not built').padEnd(22)} ${r.binaries.join(' ')}\n`,
        );
      }
      process.stdout.write(`cache: ${toolsCacheRoot()}\n`);
      return 0;
    }
    case 'path': {
      const [name, binary] = args;
      if (!name) break;
      try {
        const h = await ensureTool(name);
        process.stdout.write(`${binary ? h.bin(binary) : h.dir}\n`);
        return 0;
      } catch (e) {
        if (!(e instanceof ToolBuildError)) process.stderr.write(`${(e as Error).message}\n`);
        return 1;
      }
    }
    case 'stage': {
      const [target, ...requests] = args;
      if (!target || requests.length === 0) break;
      try {
        await stageTools(target, requests.map(parseStageRequest));
        process.stdout.write(`${target}\n`);
        return 0;
      } catch (e) {
        if (!(e instanceof ToolBuildError)) process.stderr.write(`${(e as Error).message}\n`);
        return 1;
      }
    }
    case 'prune': {
      const keep = new Set(CATALOG.map((t) => basename(toolDir(t.name))));
      const root = toolsCacheRoot();
      let entries: string[] = [];
      try {
        entries = readdirSync(root);
      } catch {
        return 0;
      }
      for (const e of entries) {
        if (e.startsWith('.') || e === 'logs' || keep.has(e)) continue;
        process.stdout.write(`${flags.has('--dry-run') ? 'would remove' : 'removed'} ${join(root, e)}\n`);
        if (!flags.has('--dry-run')) rmSync(join(root, e), { recursive: true, force: true });
      }
      return 0;
    }
    case 'kubeconform-schemas': {
      const [input, out, version] = args;
      if (!input || !out || !version) break;
      const t0 = performance.now();
      const { dirs, files } = await writeKubeconformSchemas(JSON.parse(readFileSync(input, 'utf8')), out, version);
      process.stderr.write(`[tools] ${files} schemas in ${dirs.join(', ')} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
      process.stdout.write(`${out}\n`);
      return 0;
    }
    default:
      break;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${(e as Error).message ?? e}\n`);
    process.exitCode = 1;
  },
);
