import type { SpecContext } from '../../src/core/spec.ts';

/** Toxiproxy's service name: the API reaches a routed dependency at `toxiproxy:<listen port>`. */
export const TOXIPROXY = 'toxiproxy';
export const TOXIPROXY_API_PORT = 8474;
/** The stack option naming the API's dependencies that go through Toxiproxy. */
export const ROUTES_OPTION = 'toxiproxy.routes';

/**
 * The dependencies of the sample API that can be routed through Toxiproxy: one proxy each, listening on
 * its own port, forwarding to the service port the API would otherwise dial. Redis is not among them:
 * Sentinel hands clients the master's own address (redis1:6379), so a proxy in front of Sentinel would
 * not sit in front of the data path; cache faults act on the Redis containers instead.
 */
export const ROUTES = {
  'postgres-write': { listen: 15432, service: 'haproxy', port: 'write' },
  'postgres-read': { listen: 15433, service: 'haproxy', port: 'read' },
  // To the name every broker node answers to: Docker's DNS hands out the running nodes.
  rabbitmq: { listen: 15672, service: 'rabbitmq', port: 'amqp', host: 'rabbitmq' },
} as const satisfies Record<string, { listen: number; service: string; port: string; host?: string }>;

/** The upstream a route's proxy dials: the service's shared name where it has one, else its first instance. */
export function routeUpstream(ctx: SpecContext, route: RouteName): string {
  const r: { service: string; port: string; host?: string } = ROUTES[route];
  const first = ctx.address(r.service, r.port);
  return r.host ? `${r.host}:${first.slice(first.lastIndexOf(':') + 1)}` : first;
}

export type RouteName = keyof typeof ROUTES;
export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

/** The routes a stack asked for with `toxiproxy.routes=a,b`; unknown names are refused with the known ones. */
export function routesOf(option: string | undefined): RouteName[] {
  const names = (option ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(n in ROUTES)) throw new Error(`toxiproxy.routes: unknown route "${n}" (routes: ${ROUTE_NAMES.join(', ')})`);
  return names as RouteName[];
}

/**
 * The address a client of `route` dials in this stack: Toxiproxy's listener when the stack runs Toxiproxy
 * and routes it, else `direct` (the dependency itself). The sample-app spec calls this for its URLs.
 */
export function routedAddress(ctx: SpecContext, route: RouteName, direct: string): string {
  if (!ctx.has(TOXIPROXY) || !routesOf(ctx.option(ROUTES_OPTION)).includes(route)) return direct;
  return `${TOXIPROXY}:${ROUTES[route].listen}`;
}
