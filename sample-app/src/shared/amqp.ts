import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from './logger.ts';
import { backoffMs, sleep } from './retry.ts';

export const EXCHANGE = 'refstack.events';
export const DEAD_LETTER_EXCHANGE = 'refstack.events.dlx';
export const QUEUE = 'events.process';
export const DEAD_LETTER_QUEUE = 'events.process.dlq';

/**
 * Queue a failed message waits in for `delayMs` before it is dead-lettered back to QUEUE. Named by
 * its delay: a queue's TTL cannot change once declared, and the schedule is derived from the timing
 * profile (budgets.ts), so two schedules never fight over one queue.
 */
export function retryQueueName(delayMs: number): string {
  return `${QUEUE}.retry.${delayMs}ms`;
}

/**
 * Declares the topology; run on every (re)connect so a broker that lost its definitions gets
 * them back. The work queue is a durable quorum queue that dead-letters to the DLQ; each retry
 * queue holds a message for its delay and then dead-letters it back to the work queue.
 */
export async function declareTopology(channel: ConfirmChannel, retryDelaysMs: number[]): Promise<void> {
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await channel.assertQueue(QUEUE, {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE },
  });
  await channel.bindQueue(QUEUE, EXCHANGE, '#');
  await channel.assertQueue(DEAD_LETTER_QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, '');
  for (const delayMs of new Set(retryDelaysMs)) {
    await channel.assertQueue(retryQueueName(delayMs), {
      durable: true,
      arguments: {
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': QUEUE,
      },
    });
  }
}

/**
 * AMQP heartbeat (seconds) unless the URL sets one: a frozen or cut-off node is given up after two missed
 * heartbeats (~10 s), not the broker's default 60 s (~2 min), so the connection moves to another node in
 * time. RabbitMQ's guide advises 5–20 s; lower values risk false positives on a loaded host.
 */
export const HEARTBEAT_SECONDS = 5;

export function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(HEARTBEAT_SECONDS));
  return parsed.toString();
}

export interface AmqpOptions {
  /** One URL per broker node: each (re)connect starts with the node after the one last used. */
  urls: readonly string[];
  log: Logger;
  /** Called with a fresh confirm channel after each successful (re)connect. */
  onChannel: (channel: ConfirmChannel) => Promise<void>;
  name: string;
  /** ms cap of the reconnect backoff (budgets.queue.reconnectCapMs). */
  reconnectCapMs: number;
  /** RabbitMQ blocked (true, with its reason: e.g. a memory alarm) or unblocked (false) this connection. */
  onBlocked?: (blocked: boolean, reason?: string) => void;
}

/**
 * One AMQP connection that reconnects with backoff forever (until closed) and hands every new
 * confirm channel to `onChannel`, which re-declares the topology and re-subscribes.
 */
export class AmqpConnection {
  private model: ChannelModel | undefined;
  private channel_: ConfirmChannel | undefined;
  private closing = false;
  private attempt = 0;
  private connecting: Promise<void> | undefined;
  private blocked_ = false;
  /** Index of the next URL to try: starts at a random node so that processes spread over the cluster. */
  private next: number;

  constructor(private readonly o: AmqpOptions) {
    if (o.urls.length === 0) throw new Error(`${o.name}: no AMQP URL to connect to`);
    this.next = Math.floor(Math.random() * o.urls.length);
  }

  /** True between connection.blocked and connection.unblocked: publishes are not read by the broker. */
  get blocked(): boolean {
    return this.blocked_;
  }

  private setBlocked(blocked: boolean, reason?: string): void {
    if (this.blocked_ === blocked) return;
    this.blocked_ = blocked;
    this.o.log.warn({ reason }, `${this.o.name}: rabbitmq ${blocked ? 'blocked' : 'unblocked'} the connection`);
    this.o.onBlocked?.(blocked, reason);
  }

  get channel(): ConfirmChannel | undefined {
    return this.channel_;
  }

  get connected(): boolean {
    return this.channel_ !== undefined;
  }

  start(): Promise<void> {
    this.connecting ??= this.loop();
    return this.connecting;
  }

  private async loop(): Promise<void> {
    while (!this.closing) {
      try {
        await this.connectOnce();
        this.attempt = 0;
        return;
      } catch (error) {
        this.attempt += 1;
        const delay = backoffMs(this.attempt, 250, this.o.reconnectCapMs);
        this.o.log.warn({ err: error, attempt: this.attempt, delayMs: delay }, `${this.o.name}: amqp connect failed`);
        await sleep(delay);
      }
    }
  }

  private async connectOnce(): Promise<void> {
    const url = this.o.urls[this.next % this.o.urls.length]!;
    this.next += 1;
    const model = await amqp.connect(withHeartbeat(url), { timeout: 5_000, clientProperties: { connection_name: this.o.name } });
    const lost = (error?: Error) => {
      if (this.model !== model) return;
      this.model = undefined;
      this.channel_ = undefined;
      this.setBlocked(false);
      if (this.closing) return;
      this.o.log.warn({ err: error }, `${this.o.name}: amqp connection lost, reconnecting`);
      this.connecting = undefined;
      void this.start();
    };
    model.on('error', (error: Error) => this.o.log.warn({ err: error }, `${this.o.name}: amqp connection error`));
    model.on('close', lost);
    model.on('blocked', (reason: string) => this.setBlocked(true, reason));
    model.on('unblocked', () => this.setBlocked(false));
    try {
      const channel = await model.createConfirmChannel();
      channel.on('error', (error: Error) => this.o.log.warn({ err: error }, `${this.o.name}: amqp channel error`));
      // A channel closed by the broker (e.g. a failed declare) is treated as a lost connection.
      channel.on('close', () => {
        if (this.channel_ === channel) void model.close().catch(() => undefined);
      });
      await this.o.onChannel(channel);
      this.model = model;
      this.channel_ = channel;
      this.o.log.info({ node: new URL(url).host }, `${this.o.name}: amqp connected`);
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const model = this.model;
    this.model = undefined;
    this.channel_ = undefined;
    await model?.close().catch(() => undefined);
  }
}

/**
 * Publishes and waits for the broker's confirm, with a deadline. While `isBlocked()` says the broker
 * blocked the connection the deadline is re-armed instead of failing: the message is in the socket
 * and will be read once unblocked, so publishing it again would only make a duplicate.
 */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer,
  options: amqp.Options.Publish,
  timeoutMs: number,
  isBlocked: () => boolean = () => false,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => (isBlocked() ? arm() : reject(new Error(`publish to ${exchange}/${routingKey} not confirmed within ${timeoutMs} ms`))), timeoutMs);
    };
    arm();
    try {
      channel.publish(exchange, routingKey, body, { persistent: true, contentType: 'application/json', ...options }, (error) => {
        clearTimeout(timer);
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve();
      });
    } catch (error) {
      clearTimeout(timer);
      reject(error as Error);
    }
  });
}
