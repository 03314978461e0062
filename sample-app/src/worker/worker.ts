import { createServer, type Server } from 'node:http';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AmqpConnection, DEAD_LETTER_QUEUE, declareTopology, publishConfirmed, QUEUE, retryQueueName } from '../shared/amqp.ts';
import type { Config } from '../shared/config.ts';
import { Db } from '../shared/db.ts';
import { closeServer, listen } from '../shared/lifecycle.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createMetrics } from '../shared/metrics.ts';
import { sleep } from '../shared/retry.ts';
import { indexEvent, parseEvent, PoisonMessageError, processEvent } from './process.ts';

export interface RunningWorker {
  server: Server;
  log: Logger;
  stop(): Promise<void>;
}

const PREFETCH = 10;

/**
 * Consumes events.process with manual acks. A failed attempt is acked only after the message was
 * re-published (confirmed) to the retry queue of that attempt, whose TTL returns it to the work
 * queue; after the last attempt, or for a message that can never succeed, it is rejected without
 * requeue and the queue dead-letters it to events.process.dlq.
 */
export async function startWorker(config: Config): Promise<RunningWorker> {
  const t = config.thresholds;
  const log = createLogger('sample-worker', config.logFormat, config.logLevel);
  const metrics = createMetrics('sample-worker');
  const db = new Db({
    writeUrl: config.databaseWriteUrl,
    readUrl: config.databaseWriteUrl,
    poolSize: Math.min(config.dbPoolSize, PREFETCH),
    statementTimeoutMs: t.dbStatementTimeoutMs,
    connectTimeoutMs: t.dbConnectTimeoutMs,
    slowQuerySeconds: t.slowQuerySeconds,
    metrics,
    log,
  });
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let consumerTag: string | undefined;

  const handle = async (channel: ConfirmChannel, message: ConsumeMessage): Promise<void> => {
    const attempt = Number(message.properties.headers?.['x-attempt'] ?? 1);
    const id = String(message.properties.messageId ?? `delivery-${message.fields.deliveryTag}`);
    try {
      const event = parseEvent(message.content);
      await processEvent(event, db, metrics, log.child({ messageId: id, attempt }));
      if (config.elasticsearchUrl) await indexEvent(config.elasticsearchUrl, id, event, metrics, log);
      channel.ack(message);
      metrics.queueConsumed.inc({ queue: QUEUE });
    } catch (error) {
      metrics.queueFailed.inc({ queue: QUEUE, stage: 'process' });
      const poison = error instanceof PoisonMessageError;
      if (poison || attempt >= t.maxDeliveryAttempts) {
        log.error({ err: error, messageId: id, attempt, poison }, 'dead-lettering message');
        channel.nack(message, false, false);
        metrics.queueFailed.inc({ queue: QUEUE, stage: 'dead_letter' });
        return;
      }
      log.warn({ err: error, messageId: id, attempt }, 'processing failed, retrying later');
      try {
        await publishConfirmed(
          channel,
          '',
          retryQueueName(attempt),
          message.content,
          { messageId: id, headers: { ...message.properties.headers, 'x-attempt': attempt + 1 } },
          t.amqpConfirmTimeoutMs,
        );
        metrics.queuePublished.inc({ queue: retryQueueName(attempt) });
        channel.ack(message);
      } catch (publishError) {
        log.warn({ err: publishError, messageId: id }, 'could not schedule the retry; requeueing');
        channel.nack(message, false, true);
      }
    }
  };

  const amqp = new AmqpConnection({
    url: config.amqpUrl,
    log,
    name: 'sample-worker',
    onChannel: async (channel) => {
      await declareTopology(channel, t.maxDeliveryAttempts, t.retryBaseDelayMs);
      await channel.prefetch(PREFETCH);
      const reply = await channel.consume(QUEUE, (message) => {
        if (!message || stopping) return;
        const work = handle(channel, message).catch((error: unknown) => log.error({ err: error }, 'handler crashed'));
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      });
      consumerTag = reply.consumerTag;
    },
  });
  void amqp.start();

  const depth = setInterval(() => void sampleDepth(), 5_000);
  depth.unref();
  async function sampleDepth(): Promise<void> {
    db.sampleConnections();
    const channel = amqp.channel;
    if (!channel) return;
    for (const queue of [QUEUE, DEAD_LETTER_QUEUE]) {
      try {
        metrics.queueDepth.set({ queue }, (await channel.checkQueue(queue)).messageCount);
      } catch (error) {
        log.warn({ err: error, queue }, 'queue depth not sampled');
      }
    }
  }

  const server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      await sampleDepth();
      res.writeHead(200, { 'Content-Type': metrics.register.contentType }).end(await metrics.register.metrics());
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.url === '/readyz') {
      const ready = amqp.connected && !stopping;
      res.writeHead(ready ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks: { rabbitmq: amqp.connected ? 'up' : 'down', shutting_down: stopping } }));
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not_found"}');
    }
  });
  await listen(server, config.metricsPort);
  log.info({ port: config.metricsPort }, 'sample-worker listening (metrics)');

  return {
    server,
    log,
    async stop() {
      stopping = true;
      clearInterval(depth);
      const channel = amqp.channel;
      if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
      // Messages being processed finish and are acked; unacked prefetched ones return to the queue on close.
      while (inFlight.size) await Promise.race([Promise.allSettled([...inFlight]), sleep(100)]);
      await amqp.close();
      await closeServer(server);
      await db.close();
    },
  };
}
