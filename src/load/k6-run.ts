/**
 * `npm run load:<name> [-- k6 args]`: bundles load/<name>.ts and runs it with k6 when k6 is
 * installed; otherwise says how to install it and exits 127. k6's own exit code is passed through
 * (99 = a threshold was crossed).
 */
import { spawn, spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { ROOT } from '../core/paths.ts';
import { buildK6Scripts, isK6Script, K6_SCRIPTS } from './k6-build.ts';

export const K6_INSTALL_HELP = `k6 is not installed (it is AGPL-3.0 and not distributed on npm, so refstack cannot install it).
Install it from Grafana, then re-run:
  Debian/Ubuntu: https://grafana.com/docs/k6/latest/set-up/install-k6/ (apt repository dl.k6.io)
  macOS:         brew install k6
  other:         a release binary from https://github.com/grafana/k6/releases
`;

export function k6Installed(): boolean {
  const probe = spawnSync('k6', ['version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...k6Args] = argv;
  if (!name || !isK6Script(name)) {
    process.stderr.write(`usage: npm run load:<name> [-- <k6 run options>] where <name> is one of ${K6_SCRIPTS.join(', ')}\n`);
    return 2;
  }
  const [built] = await buildK6Scripts({ names: [name] });
  const file = relative(process.cwd(), built!.file);
  if (!k6Installed()) {
    process.stderr.write(`${K6_INSTALL_HELP}The bundled script is ready: BASE_URL=http://127.0.0.1:8080 API_KEYS=name:key k6 run ${file}\n`);
    return 127;
  }
  const child = spawn('k6', ['run', ...k6Args, file], { stdio: 'inherit', cwd: ROOT });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1))));
}

process.exitCode = await main(process.argv.slice(2));
