import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { sleep } from '../../src/core/poll.ts';

/**
 * Numbered, confirmed traffic through one quorum queue of a RabbitMQ cluster, from the host: a publisher that
 * sends message n+1 only once the broker confirmed n (so a confirm gap is a publish pause) and a consumer that
 * acks what it receives. Both hold one connection to one node and move to the next node when it fails: a
 * closed connection, a missed heartbeat (a frozen node), or — for the publisher — a confirm later than
 * `confirmTimeoutMs`, after which the unconfirmed message is published again (at-least-once: a duplicate,
 * never a loss, is the cost). Every loop stops by itself after `maxSeconds`.
 */
export interface TrafficOptions {
  /** amqp://user:pass@127.0.0.1:<port>, one per node. */
  urls: readonly string[];
  queue: string;
  /** Publishes per second at most (one in flight). */
  ratePerSecond: number;
  confirmTimeoutMs: number;
  /** AMQP heartbeat in seconds: a node that stops answering is given up after about twice this. */
  heartbeatSeconds: number;
  maxSeconds: number;
}

export interface TrafficTally {
  published: number;
  confirmed: number;
  /** Confirmed message numbers the consumer never received. */
  lost: number[];
  /** Deliveries beyond the first of a message number (republished after a missed confirm, or redelivered). */
  duplicates: number;
  received: number;
  /** Times each side moved to another node. */
  publisherReconnects: number;
  consumerReconnects: number;
}

export interface NodeMove {
  /** performance.now() of the new connection. */
  at: number;
  side: 'publisher' | 'consumer';
  /** The host:port connected to. */
  to: string;
  /** Why the last connection was left. */
  why: string;
}

export interface Traffic {
  /** performance.now() of every confirm and every delivery, in order. */
  readonly confirms: readonly number[];
  readonly deliveries: readonly number[];
  /** Every connection after the first of each side. */
  readonly moves: readonly NodeMove[];
  /** Stops publishing, waits (at most `drainMs`) for every confirmed message to be received, closes both. */
  stop(drainMs: number): Promise<TrafficTally>;
}

/** The longest gap (seconds) between consecutive events within [from, to], the window's edges included. */
export function longestGap(events: readonly number[], from: number, to: number): number {
  let previous = from;
  let longest = 0;
  for (const at of events) {
    if (at < from) continue;
    if (at > to) break;
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return Number((Math.max(longest, to - previous) / 1000).toFixed(2));
}

export async function declareDrillQueue(url: string, queue: string): Promise<void> {
  const model = await amqp.connect(url, { timeout: 5_000 });
  try {
    const channel = await model.createChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  } finally {
    await model.close().catch(() => undefined);
  }
}

export async function deleteQueue(urls: readonly string[], queue: string): Promise<void> {
  let lastError: unknown;
  for (const url of urls) {
    try {
      const model = await amqp.connect(url, { timeout: 5_000 });
      try {
        await (await model.createChannel()).deleteQueue(queue);
        return;
      } finally {
        await model.close().catch(() => undefined);
      }
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`could not delete queue ${queue} through any node: ${(lastError as Error)?.message}`);
}

/** A connection to one node after another: connect() moves on to the next URL each time. */
class Roving {
  private index: number;
  model: ChannelModel | undefined;
  reconnects = -1;

  constructor(
    private readonly side: NodeMove['side'],
    private readonly urls: readonly string[],
    start: number,
    private readonly heartbeatSeconds: number,
    private readonly moves: NodeMove[],
  ) {
    this.index = start;
  }

  /** The next node that accepts a connection; throws once `keepGoing` says stop or `deadline` passed. */
  async connect(deadline: number, why: string, keepGoing: () => boolean): Promise<ChannelModel> {
    await this.drop();
    for (;;) {
      if (!keepGoing()) throw new Error('stopped');
      const url = this.urls[this.index++ % this.urls.length]!;
      try {
        const model = await amqp.connect(`${url}?heartbeat=${this.heartbeatSeconds}`, { timeout: 3_000 });
        model.on('error', () => undefined);
        this.model = model;
        if (++this.reconnects > 0) this.moves.push({ at: performance.now(), side: this.side, to: new URL(url).host, why });
        return model;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await sleep(200);
      }
    }
  }

  async drop(): Promise<void> {
    const model = this.model;
    this.model = undefined;
    // A frozen node never answers the close handshake: do not wait for it.
    if (model) await Promise.race([model.close().catch(() => undefined), sleep(1_000)]);
  }
}

class Nacked extends Error {}

function confirmOne(channel: ConfirmChannel, queue: string, n: number, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`message ${n} not confirmed within ${timeoutMs} ms`)), timeoutMs);
    try {
      channel.sendToQueue(queue, Buffer.from(String(n)), { persistent: true, messageId: String(n) }, (error) => {
        clearTimeout(timer);
        if (error) reject(new Nacked(`message ${n} nacked`));
        else resolve();
      });
    } catch (error) {
      clearTimeout(timer);
      reject(error as Error);
    }
  });
}

export function startTraffic(o: TrafficOptions): Traffic {
  const endAt = performance.now() + o.maxSeconds * 1000;
  const confirms: number[] = [];
  const deliveries: number[] = [];
  const seen = new Map<number, number>();
  let publishing = true;
  let consuming = true;
  let published = 0;
  let confirmed = 0;
  let highestConfirmed = 0;
  const moves: NodeMove[] = [];
  const publisher = new Roving('publisher', o.urls, 0, o.heartbeatSeconds, moves);
  const consumer = new Roving('consumer', o.urls, 1, o.heartbeatSeconds, moves);
  const interval = 1000 / o.ratePerSecond;

  const publishLoop = (async () => {
    let channel: ConfirmChannel | undefined;
    let n = 1;
    let why = 'start';
    while (publishing && performance.now() < endAt) {
      const sentAt = performance.now();
      try {
        if (!channel) {
          const model = await publisher.connect(endAt, why, () => publishing);
          channel = await model.createConfirmChannel();
          channel.on('error', () => undefined);
          const lostChannel = channel;
          lostChannel.on('close', () => {
            if (channel !== lostChannel) return;
            channel = undefined;
            why = 'channel closed';
          });
        }
        published++;
        await confirmOne(channel, o.queue, n, o.confirmTimeoutMs);
        confirms.push(performance.now());
        confirmed++;
        highestConfirmed = n;
        n++;
      } catch (error) {
        if (error instanceof Nacked && channel) {
          // The queue refused it (no leader yet): the same number again, on the same node, a moment later.
          await sleep(200);
          continue;
        }
        // Not confirmed in time, or the channel is gone: the same number goes again through another node.
        why = channel ? (error as Error).message : `channel closed: ${(error as Error).message}`;
        channel = undefined;
        continue;
      }
      const wait = interval - (performance.now() - sentAt);
      if (wait > 0) await sleep(wait);
    }
  })();

  const consumeLoop = (async () => {
    let why = 'start';
    while (consuming && performance.now() < endAt) {
      let channel: Channel | undefined;
      try {
        const model = await consumer.connect(endAt, why, () => consuming);
        channel = await model.createChannel();
        channel.on('error', () => undefined);
        await channel.prefetch(100);
        const closed = new Promise<void>((resolve) => {
          model.on('close', (error?: Error) => {
            why = `connection closed${error ? `: ${error.message}` : ''}`;
            resolve();
          });
          channel!.on('close', () => {
            why = 'channel closed';
            resolve();
          });
        });
        const ch = channel;
        await ch.consume(o.queue, (message) => {
          if (!message) return;
          const n = Number(message.content.toString());
          seen.set(n, (seen.get(n) ?? 0) + 1);
          deliveries.push(performance.now());
          ch.ack(message);
        });
        while (consuming && performance.now() < endAt) {
          if (await Promise.race([closed.then(() => true), sleep(200).then(() => false)])) break;
        }
      } catch (error) {
        why = (error as Error).message;
        await sleep(200);
      }
    }
  })();

  return {
    confirms,
    deliveries,
    moves,
    async stop(drainMs) {
      publishing = false;
      await publishLoop;
      const drainEnd = performance.now() + drainMs;
      while (performance.now() < drainEnd && [...Array(highestConfirmed).keys()].some((i) => !seen.has(i + 1))) await sleep(250);
      consuming = false;
      await consumeLoop;
      await Promise.all([publisher.drop(), consumer.drop()]);
      const lost: number[] = [];
      for (let i = 1; i <= highestConfirmed; i++) if (!seen.has(i)) lost.push(i);
      let received = 0;
      for (const count of seen.values()) received += count;
      return {
        published,
        confirmed,
        lost,
        duplicates: received - seen.size,
        received,
        publisherReconnects: Math.max(0, publisher.reconnects),
        consumerReconnects: Math.max(0, consumer.reconnects),
      };
    },
  };
}
