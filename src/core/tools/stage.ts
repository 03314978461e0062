// Fill a Docker build context's tools folder from the tool cache: binaries into <dir>/bin/, a tool's
// module files into <dir>/share/<tool>/, and <dir>/tools.json saying which cached build each came from.
// Hard links when the cache and the context share a filesystem (no copy of ~100 MB binaries), else copies.
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { ensureTool, type EnsureOptions } from './build.ts';

export interface StageRequest {
  tool: string;
  /** Binaries to stage; all of the tool's when omitted. */
  binaries?: string[];
}

/** `kubernetes:kube-apiserver,kubectl` → { tool: 'kubernetes', binaries: [...] }; `kwok` → all binaries. */
export function parseStageRequest(arg: string): StageRequest {
  const [tool, list] = arg.split(':', 2);
  if (!tool) throw new Error(`bad stage request ${JSON.stringify(arg)}: expected tool[:bin,bin…]`);
  const binaries = list ? list.split(',').filter(Boolean) : undefined;
  return binaries ? { tool, binaries } : { tool };
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await fs.rm(to, { force: true });
  try {
    await fs.link(from, to);
  } catch {
    await fs.copyFile(from, to);
  }
}

export async function stageTools(dir: string, requests: StageRequest[], opts: EnsureOptions = {}): Promise<Record<string, unknown>> {
  await fs.mkdir(join(dir, 'bin'), { recursive: true });
  const record: Record<string, unknown> = {};
  for (const req of requests) {
    const h = await ensureTool(req.tool, opts);
    const names = req.binaries ?? h.manifest.binaries;
    for (const b of names) await linkOrCopy(h.bin(b), join(dir, 'bin', b));
    try {
      const share = join(h.dir, 'share');
      await fs.access(share);
      await fs.rm(join(dir, 'share', req.tool), { recursive: true, force: true });
      await fs.mkdir(join(dir, 'share'), { recursive: true });
      await fs.cp(share, join(dir, 'share', req.tool), { recursive: true });
    } catch {
      // no module files for this tool
    }
    record[req.tool] = { version: h.version, hash: h.manifest.hash, dir: h.dir, binaries: names, goVersion: h.manifest.inputs.goVersion };
  }
  await fs.writeFile(join(dir, 'tools.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
