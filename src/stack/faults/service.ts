import { PostgresMember } from '../../../services/postgres/member.ts';
import { FAKETIME_FILE } from '../../../services/postgres/spec.ts';
import { num, onEach, rootSh, type FaultVerb } from './verb.ts';

/** SIGKILL of the postmaster with Patroni alive (services/postgres `crash-postgres`): Patroni restarts it. */
export const crashPostgres: FaultVerb = {
  verb: 'crash-postgres',
  undo: 'nothing to undo: Patroni restarts the postmaster (the rollback restarts the member if it did not)',
  maxSeconds: 300,
  services: ['postgres'],
  params: {},
  inject: (stack, targets) =>
    onEach(targets, async (t) => {
      await new PostgresMember(t, stack.secrets.postgresSuperuser).crashPostgres();
      return { detail: `SIGKILL to the postmaster of ${t.name}`, undo: async () => undefined };
    }),
};

/**
 * RabbitMQ's memory alarm (services/rabbitmq `memory-alarm`): the high watermark at 0 blocks every
 * publishing connection until it is lifted; undone by the default watermark (0.4).
 */
export const memoryAlarm: FaultVerb = {
  verb: 'memory-alarm',
  undo: 'set the memory high watermark back to 0.4 (the default)',
  maxSeconds: 300,
  services: ['rabbitmq'],
  params: {},
  inject: (_stack, targets) =>
    onEach(targets, async (t) => {
      await rootSh(t, 'rabbitmqctl set_vm_memory_high_watermark 0');
      return { detail: `memory alarm raised on ${t.name}: publishers blocked`, undo: () => rootSh(t, 'rabbitmqctl set_vm_memory_high_watermark 0.4').then(() => undefined) };
    }),
};

/** The sample API's own fault switch (services/sample-app `app-faults`, needs sample-app.faults=on): slow or failing for real. */
export const appFaults: FaultVerb = {
  verb: 'app-faults',
  undo: 'PUT /internal/faults {} on each instance',
  maxSeconds: 300,
  services: ['sample-api'],
  needsOptions: { 'sample-app.faults': 'on' },
  params: {
    errorRate: { kind: 'number', summary: 'share of requests answered 500', default: 0, min: 0, max: 1 },
    latencyMs: { kind: 'number', unit: 'ms', summary: 'added to every request', default: 0, min: 0, max: 10_000 },
  },
  inject: (_stack, targets, params) =>
    onEach(targets, async (t) => {
      const put = async (body: unknown) => {
        const r = await fetch(await t.url('http', '/internal/faults'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
        if (!r.ok) throw new Error(`${t.name}: PUT /internal/faults answered ${r.status}: ${await r.text()}`);
      };
      const body = { ...(num(params, 'errorRate') ? { errorRate: num(params, 'errorRate') } : {}), ...(num(params, 'latencyMs') ? { latencyMs: num(params, 'latencyMs') } : {}) };
      await put(body);
      return { detail: `${t.name} ${JSON.stringify(body)}`, undo: () => put({}) };
    }),
};


/**
 * Clock skew on one Postgres member: with `postgres.faketime=on` its processes run under libfaketime
 * (Debian's package, LD_PRELOAD set at container start) reading their offset from a file; the fault writes
 * the offset and the undo writes +0. libfaketime re-reads the file every second (FAKETIME_CACHE_DURATION),
 * so no restart is needed either way; monotonic clocks stay real, so Patroni's loop and timeouts do too.
 */
export const clockSkew: FaultVerb = {
  verb: 'clock-skew',
  undo: `write +0 into ${FAKETIME_FILE} (libfaketime picks it up within a second)`,
  maxSeconds: 600,
  services: ['postgres'],
  needsOptions: { 'postgres.faketime': 'on' },
  figures: ['clock_skew_seconds'],
  params: { offset: { kind: 'number', unit: 's', summary: 'seconds added to the wall clock (negative: behind)', min: -86_400, max: 86_400 } },
  inject: (stack, targets, params) =>
    onEach(targets, async (t) => {
      const offset = num(params, 'offset');
      await rootSh(t, `printf '%s\\n' '${offset >= 0 ? '+' : ''}${offset}s' > ${FAKETIME_FILE}`);
      // Postgres' own clock_timestamp() on the member, against the harness's clock: the skew in effect.
      const member = new PostgresMember(t, stack.secrets.postgresSuperuser);
      let measured = Number.NaN;
      for (let i = 0; i < 20 && !(Math.abs(measured - offset) < 5); i++) {
        const rows = await member.query<{ t: number }>('SELECT extract(epoch FROM clock_timestamp())::float8 AS t').catch(() => []);
        measured = (rows[0]?.t ?? Number.NaN) - Date.now() / 1000;
        if (!(Math.abs(measured - offset) < 5)) await new Promise((r) => setTimeout(r, 250));
      }
      return {
        detail: `${t.name}'s wall clock ${offset >= 0 ? '+' : ''}${offset} s (measured ${measured.toFixed(1)} s)`,
        undo: () => rootSh(t, `printf '+0\\n' > ${FAKETIME_FILE}`).then(() => undefined),
        figures: async () => [{ name: 'clock_skew_seconds', value: Number(measured.toFixed(2)), unit: 's', note: `clock_timestamp() of Postgres on ${t.name} minus the harness's clock, with the fault in place` }],
      };
    }),
};


/**
 * Redis out of memory (services/redis `maxmemory`): maxmemory 1 B with noeviction, so every write is
 * refused with OOM while reads still answer; undone by the settings it found.
 */
export const redisMaxmemory: FaultVerb = {
  verb: 'maxmemory',
  undo: 'maxmemory and maxmemory-policy set back to what they were',
  maxSeconds: 300,
  services: ['redis'],
  params: {},
  inject: (_stack, targets) =>
    onEach(targets, async (t) => {
      const get = async (key: string) => (await t.sh(`redis-cli config get ${key}`)).trim().split('\n')[1]?.trim() ?? '';
      const before = { maxmemory: await get('maxmemory'), policy: await get('maxmemory-policy') };
      await t.sh('redis-cli config set maxmemory-policy noeviction && redis-cli config set maxmemory 1');
      return {
        detail: `maxmemory 1 B with noeviction on ${t.name} (was ${before.maxmemory} B, ${before.policy}): writes refused with OOM`,
        undo: () => t.sh(`redis-cli config set maxmemory ${before.maxmemory || 0} && redis-cli config set maxmemory-policy ${before.policy || 'noeviction'}`).then(() => undefined),
      };
    }),
};
