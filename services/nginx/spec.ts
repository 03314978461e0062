import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES_DIR } from '../../src/core/paths.ts';
import { httpProbe, type ServiceSpec } from '../../src/core/spec.ts';

const PORT = 8080;
const CONFIG_PATH = '/etc/nginx/nginx.conf';
const TEMPLATE = join(SERVICES_DIR, 'nginx', 'nginx.conf');
const UPSTREAM_SERVER = /^(\s*)server sample-api-\d+:\d+ (.*);$/;

/** nginx.conf with one upstream `server` line per API instance of this stack (the template lists the default two). */
export function nginxConfig(apiAddresses: string[], template = readFileSync(TEMPLATE, 'utf8')): string {
  const lines = template.split('\n');
  const first = lines.findIndex((l) => UPSTREAM_SERVER.test(l));
  const count = lines.filter((l) => UPSTREAM_SERVER.test(l)).length;
  if (first < 0) throw new Error(`${TEMPLATE}: no "server sample-api-N:8080 …;" upstream line to render the API instances into`);
  const [, indent, options] = UPSTREAM_SERVER.exec(lines[first]!)!;
  return [...lines.slice(0, first), ...apiAddresses.map((a) => `${indent}server ${a} ${options};`), ...lines.slice(first + count)].join('\n');
}

/** The web tier: nginx balancing over the API instances (services/nginx/nginx.conf). */
export const nginx: ServiceSpec = {
  name: 'nginx',
  summary: 'nginx: the web tier in front of the API instances (keep-alive upstream, retries of idempotent requests)',
  image: { build: 'nginx' },
  replicas: 1,
  dependsOn: ['sample-api'],
  files: (ctx) => [{ path: CONFIG_PATH, content: nginxConfig(ctx.addresses('sample-api', 'http')) }],
  ports: [{ name: 'http', container: PORT, publish: { env: [18080] }, http: '/v1/products/1' }],
  // nginx's own liveness: the API's /readyz turns 503 while a dependency fails over, which is not nginx's health.
  health: { command: httpProbe(PORT, '/nginx-health') },
  stopSignal: 'SIGQUIT',
  describe: async (instance) => {
    const r = await fetch(`http://127.0.0.1:${await instance.hostPort('http')}/readyz`, { signal: AbortSignal.timeout(1_500) });
    return `/readyz ${r.status} from ${r.headers.get('x-upstream') ?? '?'}`;
  },
};
