import { num, onEach, rootSh, type FaultVerb } from './verb.ts';

const RESOLV_BACKUP = '/tmp/refstack-chaos-resolv.conf';

/**
 * DNS failure on one container: its resolver is pointed at 127.0.0.1:53, where nothing listens, so every
 * new lookup fails at once (no packet leaves the container). Open connections go on. A background
 * restore armed with the hold time puts the engine's resolver back even if the harness dies.
 */
export const dnsFailure: FaultVerb = {
  verb: 'dns-failure',
  undo: "restore the container's /etc/resolv.conf (also restored by itself at the hold time)",
  maxSeconds: 300,
  params: {},
  inject: (_stack, targets, _params, holdSeconds) =>
    onEach(targets, async (t) => {
      await rootSh(
        t,
        `[ -f ${RESOLV_BACKUP} ] || cp /etc/resolv.conf ${RESOLV_BACKUP}; echo 'nameserver 127.0.0.1' > /etc/resolv.conf; ` +
          `(sleep ${Math.ceil(holdSeconds) + 10}; [ -f ${RESOLV_BACKUP} ] && cat ${RESOLV_BACKUP} > /etc/resolv.conf && rm -f ${RESOLV_BACKUP}) >/dev/null 2>&1 &`,
      );
      return {
        detail: `${t.name} resolves no name`,
        undo: () => rootSh(t, `[ -f ${RESOLV_BACKUP} ] && cat ${RESOLV_BACKUP} > /etc/resolv.conf && rm -f ${RESOLV_BACKUP}; true`).then(() => undefined),
      };
    }),
};

/**
 * A flapping link (the packet-loss family without tc netem, which this host forbids): the target leaves
 * the stack's network for `down` seconds, comes back for `up` seconds, and again, until the hold time or
 * the undo. Each cut drops every packet in flight both ways, as a lossy link does in bursts; Docker's
 * disconnect/connect does it, so nothing runs inside the container. The loop stops by itself at the
 * hold time; the undo stops it and reattaches the target. Figure: `link_cuts` (cuts made).
 */
export const flap: FaultVerb = {
  verb: 'flap',
  undo: "stop the cycle and reconnect the target to the stack's network with its aliases",
  maxSeconds: 300,
  figures: ['link_cuts'],
  params: {
    down: { kind: 'number', unit: 's', summary: 'seconds each cut lasts', default: 1, min: 0.2, max: 30 },
    up: { kind: 'number', unit: 's', summary: 'seconds the link is back between cuts', default: 1, min: 0.2, max: 60 },
  },
  inject: (_stack, targets, params, holdSeconds) =>
    onEach(targets, async (t) => {
      const downMs = num(params, 'down') * 1000;
      const upMs = num(params, 'up') * 1000;
      const until = performance.now() + holdSeconds * 1000;
      let stopped = false;
      let cuts = 0;
      let wake: (() => void) | undefined;
      const nap = (ms: number) => new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => { clearTimeout(timer); resolve(); };
      });
      const cycle = (async () => {
        while (!stopped && performance.now() < until) {
          await t.isolate();
          cuts += 1;
          await nap(Math.min(downMs, Math.max(0, until - performance.now())));
          await t.recover();
          if (stopped) break;
          await nap(Math.min(upMs, Math.max(0, until - performance.now())));
        }
      })();
      cycle.catch(() => undefined);
      return {
        detail: `${t.name}'s link cut for ${num(params, 'down')} s every ${num(params, 'down') + num(params, 'up')} s`,
        async undo() {
          stopped = true;
          wake?.();
          const failure = await cycle.then(() => undefined, (e: Error) => e);
          await t.recover();
          if (failure) throw new Error(`the flap cycle on ${t.name} failed after ${cuts} cuts: ${failure.message}`);
        },
        figures: async () => [{ name: 'link_cuts', value: cuts, unit: 'cuts', note: `on ${t.name}` }],
      };
    }),
};
