import { ToxiproxyClient, type Toxic } from '../../../services/toxiproxy/client.ts';
import { ROUTE_NAMES, TOXIPROXY } from '../../../services/toxiproxy/routes.ts';
import type { StackInstance } from '../docker/instance.ts';
import { num, onEach, str, type FaultVerb, type ParamSpec } from './verb.ts';

const route: ParamSpec = { kind: 'string', summary: 'the route of the API to its dependency (toxiproxy.routes)', choices: ROUTE_NAMES };
const toxicity: ParamSpec = { kind: 'number', summary: 'share of connections the toxic applies to', default: 1, min: 0, max: 1 };

async function client(t: StackInstance): Promise<ToxiproxyClient> {
  return new ToxiproxyClient(await t.url('api'));
}

/** A toxic on one route, removed by name on undo (Toxiproxy has no expiry: the engine's hold time bounds it, and every run's rollback resets Toxiproxy). */
function toxicVerb(verb: string, summary: string, params: Record<string, ParamSpec>, toxic: (p: Record<string, number | string>) => Omit<Toxic, 'name' | 'toxicity'>): FaultVerb {
  return {
    verb,
    undo: `remove the toxic from the route (${summary})`,
    maxSeconds: 600,
    services: [TOXIPROXY],
    params: { route, toxicity, ...params },
    inject: (_stack, targets, p) =>
      onEach(targets, async (t) => {
        const api = await client(t);
        const name = `chaos-${verb}`;
        const proxy = str(p, 'route');
        await api.removeToxic(proxy, name);
        const spec = toxic(p as Record<string, number | string>);
        await api.addToxic(proxy, { name, toxicity: num(p, 'toxicity'), ...spec });
        return { detail: `${verb} on ${proxy} ${JSON.stringify(spec.attributes)}${num(p, 'toxicity') < 1 ? ` for ${num(p, 'toxicity') * 100}% of connections` : ''}`, undo: () => api.removeToxic(proxy, name) };
      }),
  };
}

export const latency = toxicVerb(
  'latency',
  'latency and jitter',
  {
    latency: { kind: 'number', unit: 'ms', summary: 'added to every chunk of data', min: 0, max: 60_000 },
    jitter: { kind: 'number', unit: 'ms', summary: '± random variation of the latency', default: 0, min: 0, max: 60_000 },
    stream: { kind: 'string', summary: 'direction', default: 'downstream', choices: ['upstream', 'downstream'] },
  },
  (p) => ({ type: 'latency', stream: p.stream as Toxic['stream'], attributes: { latency: Number(p.latency), jitter: Number(p.jitter) } }),
);

export const bandwidth = toxicVerb(
  'bandwidth',
  'rate limit',
  { rate: { kind: 'number', unit: 'KB/s', summary: 'the rate a connection is limited to', min: 1, max: 1_000_000 } },
  (p) => ({ type: 'bandwidth', stream: 'downstream', attributes: { rate: Number(p.rate) } }),
);

export const resetPeer = toxicVerb(
  'reset-peer',
  'connection reset',
  { timeout: { kind: 'number', unit: 'ms', summary: 'the connection is reset (RST) this long after it opened; 0: at once', default: 0, min: 0, max: 60_000 } },
  (p) => ({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: Number(p.timeout) } }),
);

export const blackhole = toxicVerb(
  'blackhole',
  'data stops flowing',
  { timeout: { kind: 'number', unit: 'ms', summary: 'the connection is closed this long after data stopped; 0: never (a lost network)', default: 0, min: 0, max: 600_000 } },
  (p) => ({ type: 'timeout', stream: 'upstream', attributes: { timeout: Number(p.timeout) } }),
);

export const routeDown: FaultVerb = {
  verb: 'route-down',
  undo: 'enable the proxy again',
  maxSeconds: 600,
  services: [TOXIPROXY],
  params: { route },
  inject: (_stack, targets, p) =>
    onEach(targets, async (t) => {
      const api = await client(t);
      await api.setEnabled(str(p, 'route'), false);
      return { detail: `${str(p, 'route')} disabled: connections refused`, undo: () => api.setEnabled(str(p, 'route'), true) };
    }),
};

/** Every toxic removed and every proxy enabled: the rollback every run ends with when the stack runs Toxiproxy. */
export async function resetToxiproxy(t: StackInstance): Promise<void> {
  await (await client(t)).reset();
}
