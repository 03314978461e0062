import { httpProbe, type ServiceSpec } from '../../src/core/spec.ts';
import { thresholds } from '../../sample-app/src/shared/thresholds.ts';

const PORT = 8000;

/**
 * The plan's original API tier — Flask under uWSGI (2 processes × 2 threads) — serving the same cached
 * product read, for `npm run bench:api` only: a contender, not part of the architecture (not in STACK).
 */
export const flaskBench: ServiceSpec = {
  name: 'flask-bench',
  summary: 'Flask + uWSGI serving the same cached product read as the sample API (benchmark contender)',
  image: { build: 'flask-bench' },
  replicas: 1,
  dependsOn: ['redis', 'haproxy'],
  env: (ctx) => ({
    REDIS_URL: `redis://${ctx.address('redis', 'redis')}/0`,
    DATABASE_READ_URL: `postgres://postgres:${ctx.secrets.postgresSuperuser}@${ctx.address('haproxy', 'read')}/postgres`,
    API_KEYS: ctx.secrets.apiKeys.map((c) => `${c.name}:${c.key}`).join(','),
    RATE_LIMIT_PER_SECOND: '1000000',
    CACHE_TTL_SECONDS: String(thresholds.cacheTtlSeconds),
  }),
  ports: [{ name: 'http', container: PORT, publish: {} }],
  health: { command: `python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=2).status == 200 else 1)"` },
};

/** A bare node:http server answering one fixed JSON body (stack option `bench.body`), in the sample-app image: the ceiling of the same runtime. */
export const bareNode: ServiceSpec = {
  name: 'bare-node',
  summary: 'bare node:http answering the cached read\'s JSON (benchmark contender)',
  image: { build: 'sample-app' },
  replicas: 1,
  dependsOn: [],
  options: { 'bench.body': 'the JSON body the bare server answers with' },
  entrypoint: ['node', '-e', "const body = Buffer.from(process.env.BODY); require('node:http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); }).listen(8080, '0.0.0.0');"],
  command: () => [],
  env: (ctx) => ({ BODY: ctx.option('bench.body') ?? '{}' }),
  ports: [{ name: 'http', container: 8080, publish: {} }],
  health: { command: `node -e "require('node:net').connect(8080, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"` },
};

/** The benchmark's contenders beside the one stack. */
export const BENCH_CONTENDERS: readonly ServiceSpec[] = [flaskBench, bareNode];
