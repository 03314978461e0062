import { docker } from '../../core/docker/engine.ts';
import { imageRef } from '../../core/images/catalog.ts';
import { LABEL } from '../../core/docker/labels.ts';
import { containerName, placementLabels } from '../docker/placement.ts';
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
 * Packet loss (Pumba's way): a helper container from the toxiproxy image (it carries iproute2) joins the
 * target's network namespace with NET_ADMIN and adds a netem qdisc on the target's stack interface.
 * The helper removes the qdisc when stopped, and by itself at the hold time.
 */
export const packetLoss: FaultVerb = {
  verb: 'packet-loss',
  undo: 'stop the helper: its trap deletes the netem qdisc (it also does at the hold time)',
  maxSeconds: 300,
  params: {
    percent: { kind: 'number', unit: '%', summary: 'share of packets dropped', min: 1, max: 100 },
    delay: { kind: 'number', unit: 'ms', summary: 'added delay per packet', default: 0, min: 0, max: 5000 },
  },
  inject: (stack, targets, params, holdSeconds) =>
    onEach(targets, async (t) => {
      const ip = await t.ip();
      const netem = `netem ${num(params, 'delay') ? `delay ${num(params, 'delay')}ms ` : ''}loss ${num(params, 'percent')}%`;
      const script =
        `dev=$(ip -o -4 addr show | awk '$4 ~ /^${ip.replace(/\./g, '\\.')}\\// {print $2}'); ` +
        `tc qdisc add dev "$dev" root ${netem} || exit 1; echo "netem on $dev"; ` +
        `trap 'tc qdisc del dev "$dev" root; exit 0' TERM INT; sleep ${Math.ceil(holdSeconds) + 10} & wait $!; tc qdisc del dev "$dev" root`;
      const helper = await docker().createContainer({
        name: `${containerName(stack.placement, t.name)}-netem-${Date.now() % 100000}`,
        Image: imageRef('toxiproxy'),
        Entrypoint: ['sh', '-c', script],
        Labels: { ...placementLabels(stack.placement), [LABEL.service]: 'chaos-netem' },
        HostConfig: { NetworkMode: `container:${t.container}`, CapAdd: ['NET_ADMIN'], AutoRemove: false },
      });
      await helper.start();
      const started = performance.now();
      let logs = '';
      while (performance.now() - started < 10_000 && !/netem on/.test(logs)) {
        logs = (await helper.logs({ stdout: true, stderr: true })).toString();
        const state = await helper.inspect();
        if (!state.State.Running && !/netem on/.test(logs)) {
          await helper.remove({ force: true }).catch(() => undefined);
          throw new Error(`tc netem could not be added on ${t.name}: ${logs.trim() || `helper exited ${state.State.ExitCode}`}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      return {
        detail: `${netem} on ${t.name}`,
        async undo() {
          await helper.stop({ t: 5 }).catch(() => undefined);
          await helper.remove({ force: true }).catch(() => undefined);
        },
      };
    }),
};
