import { httpProbe, type ServiceSpec, type SpecContext } from '../../src/core/spec.ts';
import { ROUTES, ROUTES_OPTION, ROUTE_NAMES, TOXIPROXY, TOXIPROXY_API_PORT, routeUpstream, routesOf } from './routes.ts';

export const CONFIG_PATH = '/etc/toxiproxy/proxies.json';

/** One proxy per routed dependency, created at start from the config file (its upstream is resolved per connection). */
function proxies(ctx: SpecContext): Array<{ name: string; listen: string; upstream: string; enabled: boolean }> {
  return routesOf(ctx.option(ROUTES_OPTION))
    .filter((r) => ctx.has(ROUTES[r].service))
    .map((r) => ({ name: r, listen: `0.0.0.0:${ROUTES[r].listen}`, upstream: routeUpstream(ctx, r), enabled: true }));
}

/**
 * Toxiproxy between the sample API (and worker) and their dependencies: latency, jitter, bandwidth,
 * connection resets and blackholes on the API's database and broker connections, added and removed at
 * run time through its HTTP API. Built from the Go module proxy (image.json `tools`).
 */
export const toxiproxy: ServiceSpec = {
  name: TOXIPROXY,
  summary: "Toxiproxy: network toxics on the API's routes to Postgres and RabbitMQ (chaos experiments)",
  image: { build: 'toxiproxy' },
  replicas: 1,
  dependsOn: [],
  options: { [ROUTES_OPTION]: `dependencies of the API routed through Toxiproxy, comma-separated (${ROUTE_NAMES.join(', ')})` },
  command: () => ['-host', '0.0.0.0', '-port', String(TOXIPROXY_API_PORT), '-config', CONFIG_PATH],
  files: (ctx) => [{ path: CONFIG_PATH, content: `${JSON.stringify(proxies(ctx), null, 2)}\n` }],
  ports: [{ name: 'api', container: TOXIPROXY_API_PORT, publish: {}, http: '/proxies' }],
  health: { command: httpProbe(TOXIPROXY_API_PORT, '/version') },
  faults: [
    { verb: 'latency', summary: 'add latency (and jitter) to a route: every byte waits' },
    { verb: 'bandwidth', summary: 'limit a route to a rate in KB/s' },
    { verb: 'reset-peer', summary: 'reset connections on a route (TCP RST) after a timeout' },
    { verb: 'blackhole', summary: 'a route accepts connections but never answers (timeout toxic): lost packets, as clients see them' },
    { verb: 'route-down', summary: 'disable a route: connections are refused' },
  ],
};
