import amqp from 'amqplib';
import pg from 'pg';
import { EXCHANGE } from '../../sample-app/src/shared/amqp.ts';
import { apiClient, type ApiClient } from '../../services/sample-app/client.ts';
import type { InstanceHandle, StackHandle } from '../../src/core/spec.ts';

/**
 * Faults and fixtures the live alert suite injects through the stack's own interfaces: the API's fault
 * endpoint (stack option sample-app.faults=on), lock contention on Postgres, a burst on RabbitMQ.
 */

/** PUT /internal/faults on every API instance directly (nginx would reach only one): real slowness or real 500s. */
export async function setApiFaults(stack: StackHandle, faults: { latencyMs?: number; errorRate?: number }): Promise<void> {
  await Promise.all(
    stack.instances('sample-api').map(async (instance) => {
      const response = await fetch(await instance.url('http', '/internal/faults'), {
        method: 'PUT',
        headers: { 'x-api-key': stack.apiKey(), 'content-type': 'application/json' },
        body: JSON.stringify(faults),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status !== 200) throw new Error(`${instance.name}: PUT /internal/faults answered ${response.status} (is the stack started with sample-app.faults=on?): ${await response.text()}`);
    }),
  );
}

/** A user, a session and a few orders, so that the business series (sessions, revenue) exist. */
export async function seedBusiness(api: ApiClient): Promise<void> {
  const userId = await api.createUser('monitoring');
  const session = await api.call('POST', '/v1/sessions', { userId });
  if (session.status !== 201) throw new Error(`POST /v1/sessions answered ${session.status}`);
  for (let i = 1; i <= 3; i++) {
    const order = await api.call('POST', '/v1/orders', { userId, items: [{ productId: String(i), quantity: i }] });
    if (order.status !== 201) throw new Error(`POST /v1/orders answered ${order.status}: ${JSON.stringify(order.body)}`);
  }
}

/** Reads every catalogue product once, so start-up cache misses are not an incident. */
export async function warmCache(stack: StackHandle, products = 100): Promise<void> {
  const api = await apiClient(stack);
  for (let id = 1; id <= products; id++) await api.call('GET', `/v1/products/${id}`);
}

/** `count` product.updated events on the exchange the API publishes to (confirmed); the worker acks them as no-ops. */
export async function publishEvents(stack: StackHandle, count: number): Promise<void> {
  const s = stack.secrets;
  const connection = await amqp.connect(`amqp://${s.rabbitmqUser}:${s.rabbitmqPassword}@127.0.0.1:${await stack.first('rabbitmq').hostPort('amqp')}`);
  try {
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < count; i++) {
      const event = { type: 'product.updated', productId: String(1 + (i % 100)), client: 'monitoring-suite' };
      channel.publish(EXCHANGE, event.type, Buffer.from(JSON.stringify(event)), { persistent: true, contentType: 'application/json' });
    }
    await channel.waitForConfirms();
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Repeatedly holds an EXCLUSIVE lock on products for `seconds` through the write endpoint: writers queue behind it, readers do not. */
export class LockPulses {
  private running = false;
  private loop: Promise<void> | undefined;
  constructor(private readonly config: pg.ClientConfig) {}

  /** Starts pulsing; stops by itself after `maxSeconds`. */
  start(seconds: number, maxSeconds: number): void {
    this.running = true;
    const until = performance.now() + maxSeconds * 1000;
    this.loop = (async () => {
      const client = new pg.Client(this.config);
      await client.connect();
      try {
        while (this.running && performance.now() < until) {
          await client.query('BEGIN');
          await client.query('LOCK TABLE products IN EXCLUSIVE MODE');
          await client.query('SELECT pg_sleep($1)', [seconds]);
          await client.query('COMMIT');
        }
      } finally {
        await client.end();
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * Freezes one Postgres process of a member with SIGSTOP, found by its process title (`postgres: …
 * <title>`); the returned undo sends SIGCONT. The postmaster does not notice a stopped child.
 */
async function freezePostgresProcess(member: InstanceHandle, title: string): Promise<() => Promise<void>> {
  const find = `for d in /proc/[0-9]*; do case "$(tr '\\0' ' ' < $d/cmdline 2>/dev/null)" in 'postgres: '*'${title}'*) echo \${d#/proc/};; esac; done`;
  const pid = (await member.sh(find)).trim();
  if (!/^\d+$/.test(pid)) throw new Error(`${member.name}: no single "${title}" process found (got "${pid}"): is it a streaming replica?`);
  await member.sh(`kill -STOP ${pid}`);
  return async () => void (await member.sh(`kill -CONT ${pid}`));
}

/**
 * Pauses WAL replay on a Patroni replica: its startup (recovery) process is stopped, WAL keeps arriving
 * and being flushed, nothing is replayed. pg_wal_replay_pause() would not hold: Patroni resumes paused
 * replay on PostgreSQL 14+ in every HA loop unless the cluster is in maintenance mode
 * (patroni/postgresql/__init__.py, handle_parameter_change).
 */
export const pauseReplay = (member: InstanceHandle) => freezePostgresProcess(member, 'startup recovering');

/**
 * Kills a replica's WAL stream without a sign: its WAL receiver is stopped, so nothing more arrives,
 * the receiver still says "streaming", and everything received is replayed (received = replayed).
 */
export const silenceWalStream = (member: InstanceHandle) => freezePostgresProcess(member, 'walreceiver');
